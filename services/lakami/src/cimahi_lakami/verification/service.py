"""The rules of issued letters: the public check of a code, revocation and the PDF.

Like ``letters/service.py``, every function works inside the caller's transaction and never
commits. Who may see a request is decided by ``letters/access.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from anyio import to_thread
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_lakami.auth import is_lakami_officer
from cimahi_lakami.events.letters import letter_request_event_type, publish_letter_change
from cimahi_lakami.letters import repository as letters_repository
from cimahi_lakami.letters.access import require_scope
from cimahi_lakami.letters.repository import RequestView
from cimahi_lakami.letters.service import audit_access
from cimahi_lakami.letters.workflow import AgencyStatus, Level, unified_status
from cimahi_lakami.models import LetterRequestHistory
from cimahi_lakami.verification import repository
from cimahi_lakami.verification.pdf import LetterContent, indonesian_date, render_letter
from cimahi_lakami.verification.schemas import (
    LetterRevocationRead,
    LetterVerificationRead,
    VerificationResult,
)
from cimahi_shared.auth import Principal
from cimahi_shared.calendar import WIB
from cimahi_shared.documents.codes import normalise
from cimahi_shared.documents.masking import mask_name
from cimahi_shared.errors import Conflict, Forbidden, InvalidTransition, NotFound, ProblemError
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import find_kelurahan

PUBLIC_PATH = "/v1/public/letters/"
REVOKED_VERB = "revoked"
REVOKED_V1 = letter_request_event_type(REVOKED_VERB)
REVOKE_ACTION = "revoke"  # letter_request_history.action and access_audit.action
DOWNLOAD_ACTION = "download"
REVOKED_NOTE = "Surat telah dicabut dan tidak berlaku lagi."  # for the citizen's request list


class UnknownCode(NotFound):
    """No issued letter has this code (also the answer for a code that cannot be one)."""

    code, title = "unknown-verification-code", "Unknown verification code"


class LetterNotIssued(Conflict):
    """The request has no letter (yet): it is not finally approved."""

    code, title = "letter-not-issued", "The letter is not issued"


class Gone(ProblemError):
    """The letter existed but is no longer valid."""

    status, code, title = 410, "letter-revoked", "The letter was revoked"


def verification_url(code: str, *, base_url: str) -> str:
    """The public URL that checks a letter (printed on it, and in its QR code)."""
    return base_url.rstrip("/") + PUBLIC_PATH + code


def _wib_date(moment: datetime) -> date:
    return moment.astimezone(WIB).date()


# --- the public check -------------------------------------------------------------------------


async def verify_code(session: AsyncSession, *, typed: str) -> LetterVerificationRead:
    """The masked public facts of the letter with this code (typed or scanned), else 404."""
    code = normalise(typed)
    row = await repository.find_by_code(session, code) if code is not None else None
    if row is None or row["status"] != AgencyStatus.APPROVED.value or not row["letter_number"]:
        raise UnknownCode(
            "No letter was issued with this verification code.", result=VerificationResult.UNKNOWN
        )
    return _public_facts(row)


def _public_facts(row: RowMapping) -> LetterVerificationRead:
    kelurahan = find_kelurahan(row["kelurahan_code"])
    revoked_on = _wib_date(row["revoked_at"]) if row["revoked_at"] is not None else None
    if revoked_on is None:
        result, message = (
            VerificationResult.GENUINE,
            "Surat ini asli dan berlaku: diterbitkan oleh Pemerintah Kota Cimahi.",
        )
    else:
        result, message = (
            VerificationResult.REVOKED,
            "Surat ini pernah diterbitkan oleh Pemerintah Kota Cimahi, tetapi telah dicabut "
            f"pada {indonesian_date(revoked_on)} dan tidak berlaku lagi.",
        )
    return LetterVerificationRead(
        result=result,
        valid=revoked_on is None,
        message=message,
        verification_code=row["verification_code"],
        letter_type=row["letter_type_name"],
        letter_number=row["letter_number"],
        issued_on=row["issued_on"],
        kelurahan=kelurahan.name if kelurahan else row["kelurahan_code"],
        kecamatan=kelurahan.kecamatan_name if kelurahan else row["kecamatan_code"],
        signer_title=row["signer_title"] or "",
        holder_name=mask_name(row["full_name"]),
        holder_nik=row["nik_masked"],
        revoked_on=revoked_on,
    )


# --- revocation -------------------------------------------------------------------------------


async def revoke_letter(
    session: AsyncSession, *, principal: Principal, tracking_no: str, reason: str, now: datetime
) -> LetterRevocationRead:
    """Revoke an issued letter: by an admin, or an officer of the level and area that signed it.

    The public check answers ``revoked`` from then on. A history row (``revoke``, the reason as
    its note), the domain event ``letter_request.revoked.v1`` and a lifecycle event (same unified
    status, a fixed note) are written in the same transaction; the reason is in neither event.
    """
    if not (principal.is_admin or is_lakami_officer(principal)):
        raise Forbidden("Only LAKAMI officers and administrators can revoke a letter.")
    scope = require_scope(principal)
    request = await letters_repository.get_request(session, tracking_no, for_update=True)
    if request is None or not scope.sees(
        owner_sub=request.owner_sub,
        kelurahan_code=request.kelurahan_code,
        kecamatan_code=request.kecamatan_code,
        level=request.level,
    ):
        raise NotFound(f"There is no letter request {tracking_no}.")
    if not principal.is_admin and (scope.acts_at is None or scope.acts_at.value != request.level):
        signer = "kecamatan" if request.level == Level.KECAMATAN.value else "kelurahan"
        raise Forbidden(
            f"The letter is signed at the {signer} level: only that {signer}'s officers "
            "can revoke it."
        )
    if request.status != AgencyStatus.APPROVED.value or request.verification_code is None:
        raise InvalidTransition(
            f"A request in status '{request.status}' has no issued letter to revoke.",
            current_status=request.status,
            allowed_actions=[],
        )
    if request.revoked_at is not None:
        raise Conflict("The letter is already revoked.", revoked_at=request.revoked_at.isoformat())
    request.revoked_at = now
    request.revoked_by_sub = principal.sub
    request.revoked_reason = reason
    request.sequence += 1
    request.updated_at = now
    letters_repository.add_history(
        session,
        LetterRequestHistory(
            id=str(ULID()),
            request_id=request.id,
            sequence=request.sequence,
            level=request.level,
            action=REVOKE_ACTION,
            from_status=request.status,
            to_status=request.status,
            actor_sub=principal.sub,
            actor_role=principal.role,
            note=reason,
            occurred_at=now,
        ),
    )
    await publish_letter_change(
        session,
        request=request,
        title=request.letter_type.name,
        verb=REVOKED_VERB,
        previous_status=request.status,
        status=unified_status(request.status, request.level, request.needs_kecamatan),
        actor_role=principal.role,
        note=None,  # the reason may name people: it stays in LAKAMI's history
        occurred_at=now,
        lifecycle_note=REVOKED_NOTE,
    )
    audit_access(session, principal=principal, requests=[request], action=REVOKE_ACTION)
    return LetterRevocationRead(
        tracking_no=request.tracking_no,
        letter_number=request.letter_number or "",
        verification_code=request.verification_code,
        revoked_at=now,
        revoked_by_sub=principal.sub,
        reason=reason,
    )


# --- the PDF ----------------------------------------------------------------------------------


async def letter_pdf(
    session: AsyncSession,
    *,
    principal: Principal,
    pii: PiiCipher,
    tracking_no: str,
    base_url: str,
) -> tuple[bytes, str]:
    """The issued letter as PDF bytes and a file name, for whoever may see the request.

    404 like the request itself; 409 before the final approval; 410 once revoked. Officers' and
    admins' downloads are written to the access log (action ``download``).
    """
    scope = require_scope(principal)
    view = await letters_repository.read_request(session, tracking_no)
    if view is None or not scope.sees(
        owner_sub=view.owner_sub,
        kelurahan_code=view.kelurahan_code,
        kecamatan_code=view.kecamatan_code,
        level=view.level,
    ):
        raise NotFound(f"There is no letter request {tracking_no}.")
    if view.status != AgencyStatus.APPROVED.value or not view.letter_number:
        raise LetterNotIssued(
            f"The letter is issued on final approval; the request is '{view.status}'.",
            current_status=view.status,
        )
    if view.revoked_at is not None:
        raise Gone(
            f"The letter was revoked on {indonesian_date(_wib_date(view.revoked_at))} "
            "and is no longer valid.",
            revoked_at=view.revoked_at.isoformat(),
        )
    content = _letter_content(view, nik=pii.decrypt(view.nik_encrypted), base_url=base_url)
    audit_access(session, principal=principal, requests=[view], action=DOWNLOAD_ACTION)
    pdf = await to_thread.run_sync(render_letter, content)  # ~20 ms of CPU: off the event loop
    return pdf, letter_filename(view.letter_number)


def letter_filename(letter_number: str) -> str:
    """``470/0001/Kel.Melong/2026`` -> ``470_0001_Kel.Melong_2026.pdf``."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", letter_number).strip("._") + ".pdf"


def _letter_content(view: RequestView, *, nik: str, base_url: str) -> LetterContent:
    kelurahan = find_kelurahan(view.kelurahan_code)
    kelurahan_name = kelurahan.name if kelurahan else view.kelurahan_code
    kecamatan_name = kelurahan.kecamatan_name if kelurahan else view.kecamatan_code
    by_camat = view.level == Level.KECAMATAN.value
    code = view.verification_code or ""
    return LetterContent(
        kecamatan_name=kecamatan_name,
        kelurahan_name=None if by_camat else kelurahan_name,
        title=view.letter_type.name,
        letter_number=view.letter_number or "",
        signer_title=view.signer_title or "",
        signer_name=view.signer_name or "",
        issued_on=view.issued_on or _wib_date(view.updated_at),
        full_name=view.full_name,
        nik=nik,
        address=(
            f"RT {view.rt} / RW {view.rw}, Kelurahan {kelurahan_name}, "
            f"Kecamatan {kecamatan_name}, Kota Cimahi"
        ),
        cover_letter=(
            f"surat pengantar RT/RW Nomor {view.cover_letter_number} "
            f"tanggal {indonesian_date(view.cover_letter_date)}"
        ),
        details=_details(view.letter_type.fields, view.fields),
        purpose=view.purpose,
        verification_code=code,
        verification_url=verification_url(code, base_url=base_url),
    )


def _details(specs: list[dict[str, Any]], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The type-specific fields as (catalogue label, printed value), in catalogue order."""
    rows: list[tuple[str, str]] = []
    for spec in specs:
        value = values.get(spec["code"])
        if value is None or value in ("", []):
            continue
        if spec.get("type") == "list" and isinstance(value, list):
            items = spec.get("item_fields") or []
            for i, entry in enumerate(value, start=1):
                parts = [
                    f"{item['label']}: {_printed(item, entry.get(item['code']))}"
                    for item in items
                    if isinstance(entry, Mapping) and entry.get(item["code"]) not in (None, "")
                ]
                rows.append((f"{spec['label']} {i}", ", ".join(parts)))
        else:
            rows.append((spec["label"], _printed(spec, value)))
    return rows


def _printed(spec: Mapping[str, Any], value: Any) -> str:
    kind = spec.get("type")
    if kind == "boolean":
        return "Ya" if value else "Tidak"
    if kind == "date":
        try:
            return indonesian_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
