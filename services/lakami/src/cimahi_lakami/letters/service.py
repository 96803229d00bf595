"""The rules of letter requests: who may see and do what, the two-level chain, numbers, events.

Every function works inside the caller's transaction (the request's ``SessionDep``) and never
commits: the state change, its history rows, its attachments, its access-log rows and its outbox
events are committed together or not at all. "Now" and the working-day calendar come in a
``LetterClock`` (injectable in tests). Who may see what: ``letters/access.py``.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_lakami.auth import is_lakami_officer
from cimahi_lakami.catalogue import service as catalogue
from cimahi_lakami.events.letters import (
    letter_change_events,
    outbox_rows,
    publish_letter_change,
)
from cimahi_lakami.letters import repository
from cimahi_lakami.letters.access import Scope, require_scope
from cimahi_lakami.letters.deadlines import LetterClock
from cimahi_lakami.letters.repository import AttachmentView, HistoryView, RequestView
from cimahi_lakami.letters.schemas import LetterRequestCreate, LetterRequestResubmit
from cimahi_lakami.letters.workflow import (
    OPEN,
    STEPS,
    Action,
    AgencyStatus,
    Level,
    next_actions,
    unified_status,
)
from cimahi_lakami.models import AccessAudit, LetterRequest, LetterRequestHistory
from cimahi_lakami.uploads import service as uploads
from cimahi_lakami.uploads.schemas import AttachmentRef
from cimahi_shared.auth import Principal
from cimahi_shared.calendar import WIB
from cimahi_shared.context import request_id_var
from cimahi_shared.db import utcnow
from cimahi_shared.documents.codes import new_code
from cimahi_shared.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from cimahi_shared.events.lifecycle import UnifiedStatus
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.pii import PiiCipher
from cimahi_shared.regions import find_kelurahan

ATTACHMENTS_FIELD = "attachments"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TRACKING_PREFIX = "LKM-"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
ACCESS_PURPOSE = "public-service task"


# --- reading ---------------------------------------------------------------------------------


class Due(StrEnum):
    """Deadline filters of the request list (open requests only)."""

    OVERDUE = "overdue"
    DUE_SOON = "due_soon"


@dataclass(frozen=True, slots=True)
class Detail:
    """A request with what its full view needs: its attachments and the time of the read."""

    request: LetterRequest | RequestView
    attachments: Sequence[AttachmentView]
    now: datetime


async def get_request(
    session: AsyncSession, *, principal: Principal, tracking_no: str, clock: LetterClock
) -> Detail:
    """A request with its history, if the caller may see it (else the same 404 as a missing one)."""
    scope = require_scope(principal)
    view = await repository.read_request(session, tracking_no)
    if view is None or not _sees(scope, view):
        raise NotFound(f"There is no letter request {tracking_no}.")
    audit_access(session, principal=principal, requests=[view], action="read")
    return Detail(view, view.attachments, clock.now)


async def list_requests(
    session: AsyncSession,
    *,
    principal: Principal,
    limit: int,
    cursor: str | None,
    status: AgencyStatus | None,
    letter_type: str | None,
    due: Due | None = None,
    clock: LetterClock,
) -> tuple[Sequence[LetterRequest], str | None]:
    """The caller's page of requests, newest first; with ``due``, open ones by deadline.

    Citizens see their own, kelurahan officers their kelurahan's, kecamatan officers their
    kecamatan's at level kecamatan, admins all. ``due`` lists only what the caller acts on (a
    kelurahan officer: level kelurahan): ``overdue`` = deadline passed, ``due_soon`` = deadline
    within ``letter_due_soon_working_days`` working days.
    """
    scope = require_scope(principal)
    level = scope.level.value if scope.level else None
    filters: dict[str, Any] = {}
    if due is not None:
        level = scope.acts_at.value if scope.acts_at else level
        filters["statuses"] = [s.value for s in OPEN]
        if due is Due.OVERDUE:
            filters["due_before"] = clock.now
        else:
            filters["due_from"], filters["due_until"] = clock.now, clock.due_soon_until()
        if cursor:
            filters["after_due"] = _decode_due_cursor(cursor)
    elif cursor:
        filters["before_id"] = _decode_cursor(cursor)
    rows = await repository.list_requests(
        session,
        owner_sub=scope.owner_sub,
        kelurahan_code=scope.kelurahan_code,
        kecamatan_code=scope.kecamatan_code,
        level=level,
        status=status.value if status is not None else None,
        letter_type=letter_type,
        limit=limit + 1,
        by_due=due is not None,
        **filters,
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = (
            _encode_due_cursor(last.due_at, last.id)
            if due is not None and last.due_at is not None
            else _encode_cursor(last.id)
        )
    audit_access(session, principal=principal, requests=page, action="list")
    return page, next_cursor


def _sees(scope: Scope, request: LetterRequest | RequestView) -> bool:
    return scope.sees(
        owner_sub=request.owner_sub,
        kelurahan_code=request.kelurahan_code,
        kecamatan_code=request.kecamatan_code,
        level=request.level,
    )


def _visible_or_404(scope: Scope, request: LetterRequest | None, tracking_no: str) -> LetterRequest:
    if request is None or not _sees(scope, request):
        raise NotFound(f"There is no letter request {tracking_no}.")
    return request


def audit_access(
    session: AsyncSession,
    *,
    principal: Principal,
    requests: Sequence[LetterRequest | RequestView],
    action: str,
) -> None:
    """Log officers' and admins' reads of citizens' data (UU PDP: who read whose data, why)."""
    if principal.is_citizen or not requests:
        return
    now = utcnow()
    repository.add_access_audits(
        session,
        [
            AccessAudit(
                id=str(ULID()),
                actor_sub=principal.sub,
                actor_role=principal.role,
                actor_agency=principal.agency,
                actor_area=principal.area,
                owner_sub=request.owner_sub,
                tracking_no=request.tracking_no,
                action=action,
                purpose=ACCESS_PURPOSE,
                http_request_id=request_id_var.get(),
                occurred_at=now,
            )
            for request in requests
        ],
    )


def _encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text
        return ""


def _bad_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not valid.",
        errors=[
            {"field": "cursor", "message": "Use next_cursor of a previous page.", "in": "query"}
        ],
    )


def _decode_cursor(cursor: str) -> str:
    value = _decode(cursor)
    if not _ULID.fullmatch(value):
        raise _bad_cursor()
    return value


def _encode_due_cursor(due_at: datetime, last_id: str) -> str:
    micros = (due_at - _EPOCH) // timedelta(microseconds=1)
    return _encode_cursor(f"{last_id}.{micros}")


def _decode_due_cursor(cursor: str) -> tuple[datetime, str]:
    last_id, _, micros = _decode(cursor).partition(".")
    if not _ULID.fullmatch(last_id) or not micros.isdigit() or len(micros) > 18:
        raise _bad_cursor()
    return _EPOCH + timedelta(microseconds=int(micros)), last_id


# --- submitting ------------------------------------------------------------------------------


async def submit_request(
    session: AsyncSession,
    *,
    principal: Principal,
    pii: PiiCipher,
    data: LetterRequestCreate,
    clock: LetterClock,
) -> Detail:
    """Create a citizen's request (status ``submitted``) and enqueue its first events."""
    # On PostgreSQL, with no transaction begun yet and no attachments: the letter type is read,
    # and the request, its history row and its events are written by one statement, each
    # autocommitted on one pooled asyncpg connection (no BEGIN or COMMIT round trips; a single
    # statement is atomic). With attachments (which must be claimed in the same transaction)
    # and elsewhere, in the request's transaction.
    engine = None if data.attachments else repository.autocommit_engine(session)
    if engine is None:
        return await _submit(session, None, principal=principal, pii=pii, data=data, clock=clock)
    async with repository.pg_connection(engine) as raw:
        return await _submit(session, raw, principal=principal, pii=pii, data=data, clock=clock)


async def _submit(
    session: AsyncSession,
    raw: Any,
    *,
    principal: Principal,
    pii: PiiCipher,
    data: LetterRequestCreate,
    clock: LetterClock,
) -> Detail:
    now = clock.now
    today = now.astimezone(WIB).date()
    if raw is not None:
        letter_type = await repository.pg_find_letter_type(raw, data.letter_type)
    else:
        letter_type = await repository.find_letter_type(session, data.letter_type)
    if letter_type is not None and not letter_type.active:
        letter_type = None
    errors: list[dict[str, Any]] = []
    fields: dict[str, Any] = {}
    if letter_type is None:
        errors.append(
            _field_error("letter_type", "Unknown letter type; see /v1/public/letter-types.")
        )
    else:
        fields, field_errors = catalogue.check_fields(letter_type.fields, data.fields, today=today)
        errors += field_errors
        errors += _check_requirements(letter_type.requirements, data.attachments)
    errors += _check_cover_letter_date(data.cover_letter_date, today)
    if errors or letter_type is None:
        raise InvalidInput(_invalid_detail(errors), errors=errors)

    values: dict[str, Any] = {
        "id": str(ULID()),
        "letter_type_code": letter_type.code,
        "owner_sub": principal.sub,
        "full_name": data.full_name,
        "kelurahan_code": data.kelurahan_code,
        "kecamatan_code": _kecamatan_of(data.kelurahan_code),
        "needs_kecamatan": letter_type.needs_kecamatan,
        "level": Level.KELURAHAN.value,
        "rt": data.rt,
        "rw": data.rw,
        "cover_letter_number": data.cover_letter_number,
        "cover_letter_date": data.cover_letter_date,
        "purpose": data.purpose,
        "fields": fields,
        "status": AgencyStatus.SUBMITTED.value,
        "sequence": 1,
        "submitted_at": now,
        "updated_at": now,
        "due_at": clock.due_at(now, letter_type.time_limit_working_days),
        "letter_number": None,
        "issued_on": None,
        "approved_at": None,
        "signer_sub": None,
        "signer_name": None,
        "signer_title": None,
        "verification_code": None,
        "revoked_at": None,
        "revoked_by_sub": None,
        "revoked_reason": None,
        **_identifiers(pii=pii, nik=data.nik, no_kk=data.no_kk),
    }
    history_id = str(ULID())
    for _ in range(5):
        values["tracking_no"] = new_tracking_no(now)
        # The first step is known without reading it back: the response is built from what
        # was written.
        entry = _history_values(
            request_id=values["id"],
            sequence=1,
            action=Action.SUBMIT,
            previous=None,
            status=values["status"],
            principal=principal,
            note=None,
            now=now,
        )
        entry["id"] = history_id
        request = RequestView(values, letter_type, [HistoryView(entry)])
        if raw is not None:
            events = letter_change_events(
                request=request,
                title=letter_type.name,
                verb=STEPS[Action.SUBMIT].verb,
                previous_status=None,
                status=_unified(request),
                actor_role=principal.role,
                note=None,
                occurred_at=now,
            )
            if await repository.pg_insert_submission(raw, values, entry, outbox_rows(events)):
                session.info["outbox_dirty"] = True  # the relay is woken after the request
                return Detail(request, [], now)
        elif await repository.insert_request_row(session, values):
            await repository.insert_history_row(session, entry)
            attached: list[AttachmentView] = []
            if data.attachments:
                await _attach(session, principal=principal, request=request, refs=data.attachments)
                attached = await repository.load_attachments(session, request.id)
            request.attachments = attached
            await _publish(
                session,
                request=request,
                action=Action.SUBMIT,
                previous=None,
                principal=principal,
                note=None,
                now=now,
            )
            return Detail(request, attached, now)
    # 40 random bits per month make five collisions in a row practically impossible.
    raise RuntimeError("could not allocate a unique tracking number")  # pragma: no cover


def _check_requirements(
    requirements: Sequence[dict[str, Any]], refs: Sequence[AttachmentRef]
) -> list[dict[str, Any]]:
    """422 entries for attachments naming no requirement of the letter type."""
    codes = {r.get("code") for r in requirements}
    return [
        _field_error(
            f"{ATTACHMENTS_FIELD}[{i}].requirement",
            "Not a requirement of this letter type (use a requirement 'code' of the catalogue).",
        )
        for i, ref in enumerate(refs)
        if ref.requirement not in codes
    ]


async def _attach(
    session: AsyncSession,
    *,
    principal: Principal,
    request: LetterRequest | RequestView,
    refs: Sequence[AttachmentRef],
) -> None:
    """Claim the citizen's unattached uploads for the request (422 ``attachments[i].upload_id``)."""
    await uploads.attach(
        session,
        principal=principal,
        refs=refs,
        kind=uploads.LETTER_REQUEST,
        target_id=request.id,
        target_ref=request.tracking_no,
        kelurahan_code=request.kelurahan_code,
        field=ATTACHMENTS_FIELD,
    )


def _kecamatan_of(kelurahan_code: str) -> str:
    kelurahan = find_kelurahan(kelurahan_code)
    return kelurahan.kecamatan_code if kelurahan else kelurahan_code.rsplit(".", 1)[0]


def new_tracking_no(now: datetime) -> str:
    """A city-wide unique, unguessable tracking number: ``LKM-<yymm>-<8 Crockford base32>``."""
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(8))
    return f"{TRACKING_PREFIX}{now.astimezone(WIB):%y%m}-{suffix}"


def _identifiers(*, pii: PiiCipher, nik: str, no_kk: str) -> dict[str, str]:
    return {
        "nik_encrypted": pii.encrypt(nik),
        "nik_hash": pii.lookup_hash(nik),
        "nik_masked": mask_nik(nik),
        "no_kk_encrypted": pii.encrypt(no_kk),
        "no_kk_hash": pii.lookup_hash(no_kk),
        "no_kk_masked": mask_nik(no_kk),
    }


def _set_identifiers(request: LetterRequest, *, pii: PiiCipher, nik: str, no_kk: str) -> None:
    for name, value in _identifiers(pii=pii, nik=nik, no_kk=no_kk).items():
        setattr(request, name, value)


def _check_cover_letter_date(value: date, today: date) -> list[dict[str, Any]]:
    if value > today:
        return [_field_error("cover_letter_date", "The cover letter date is in the future.")]
    if value < today - timedelta(days=366):
        return [_field_error("cover_letter_date", "The cover letter is older than a year.")]
    return []


def _field_error(field: str, message: str) -> dict[str, Any]:
    return {"field": field, "message": message, "in": "body"}


def _invalid_detail(errors: list[dict[str, Any]]) -> str:
    return "Invalid: " + ", ".join(sorted({e["field"] for e in errors}))


# --- acting ----------------------------------------------------------------------------------


async def act_as_officer(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    action: Action,
    note: str | None,
    clock: LetterClock,
) -> Detail:
    """verify / process / approve / reject / return, by an officer of the level the request is at.

    The kelurahan's approval of a request that needs the kecamatan forwards it there (status
    ``submitted`` at level ``kecamatan``, a second history row); the final approval issues the
    letter.
    """
    if STEPS[action].actor != "officer" or action is Action.FORWARD:
        raise ValueError(f"{action.value} is not an officer action")
    if not is_lakami_officer(principal):
        raise Forbidden("Only LAKAMI officers of the kelurahan or kecamatan can do this.")
    scope = require_scope(principal)
    request = await _load_for_change(session, scope=scope, tracking_no=tracking_no)
    if scope.acts_at is None or request.level != scope.acts_at.value:
        raise Forbidden(
            f"The request is at the {request.level} level: only the {request.level}'s officers "
            "can act on it now."
        )
    note = _require_note(action, note)
    previous = _transition(request, action)
    now = clock.now
    forward = (
        action is Action.APPROVE
        and request.level == Level.KELURAHAN.value
        and request.needs_kecamatan
    )
    if action is Action.APPROVE and not forward:
        await _issue_letter(session, request=request, principal=principal, now=now)
    await _record(
        session,
        request=request,
        action=action,
        previous=previous,
        principal=principal,
        note=note,
        now=now,
    )
    if forward:
        request.level = Level.KECAMATAN.value
        request.status = STEPS[Action.FORWARD].target.value
        await _record(
            session,
            request=request,
            action=Action.FORWARD,
            previous=AgencyStatus.APPROVED.value,
            principal=principal,
            note=None,
            now=now,
        )
    await repository.load_history(session, request)
    audit_access(session, principal=principal, requests=[request], action=action.value)
    return Detail(request, await repository.load_attachments(session, request.id), now)


async def resubmit_request(
    session: AsyncSession,
    *,
    principal: Principal,
    pii: PiiCipher,
    tracking_no: str,
    data: LetterRequestResubmit,
    clock: LetterClock,
) -> Detail:
    """The owner corrects a returned request (status ``edited``: verified again at its level).

    The deadline restarts: time limits count from complete documents.
    """
    scope = require_scope(principal)
    request = await _load_for_change(session, scope=scope, tracking_no=tracking_no)
    _owner_only(principal)
    _ensure_possible(request, Action.RESUBMIT)
    now = clock.now
    today = now.astimezone(WIB).date()
    errors: list[dict[str, Any]] = []
    if data.fields is not None:
        merged = {**request.fields, **data.fields}
        fields, errors = catalogue.check_fields(request.letter_type.fields, merged, today=today)
        request.fields = fields
    if data.cover_letter_date is not None:
        errors += _check_cover_letter_date(data.cover_letter_date, today)
    errors += _check_requirements(request.letter_type.requirements, data.attachments)
    if errors:
        raise InvalidInput(_invalid_detail(errors), errors=errors)
    for name in ("full_name", "rt", "rw", "cover_letter_number", "cover_letter_date", "purpose"):
        value = getattr(data, name)
        if value is not None:
            setattr(request, name, value)
    if data.nik is not None or data.no_kk is not None:
        _set_identifiers(
            request,
            pii=pii,
            nik=data.nik or pii.decrypt(request.nik_encrypted),
            no_kk=data.no_kk or pii.decrypt(request.no_kk_encrypted),
        )
    if data.attachments:
        await _attach(session, principal=principal, request=request, refs=data.attachments)
    request.due_at = clock.due_at(now, request.letter_type.time_limit_working_days)
    previous = _transition(request, Action.RESUBMIT)
    await _record(
        session,
        request=request,
        action=Action.RESUBMIT,
        previous=previous,
        principal=principal,
        note=data.note,
        now=now,
    )
    await repository.load_history(session, request)
    return Detail(request, await repository.load_attachments(session, request.id), now)


async def cancel_request(
    session: AsyncSession,
    *,
    principal: Principal,
    tracking_no: str,
    note: str | None,
    clock: LetterClock,
) -> Detail:
    """The owner withdraws a request that is still open at either level."""
    scope = require_scope(principal)
    request = await _load_for_change(session, scope=scope, tracking_no=tracking_no)
    _owner_only(principal)
    previous = _transition(request, Action.CANCEL)
    await _record(
        session,
        request=request,
        action=Action.CANCEL,
        previous=previous,
        principal=principal,
        note=note,
        now=clock.now,
    )
    await repository.load_history(session, request)
    return Detail(request, await repository.load_attachments(session, request.id), clock.now)


async def _load_for_change(
    session: AsyncSession, *, scope: Scope, tracking_no: str
) -> LetterRequest:
    """The request, row-locked until the transaction ends, if the caller may see it."""
    request = await repository.get_request(session, tracking_no, for_update=True)
    return _visible_or_404(scope, request, tracking_no)


def _owner_only(principal: Principal) -> None:
    """Citizen actions: a citizen who passed ``_visible_or_404`` is the request's owner."""
    if not principal.is_citizen:
        raise Forbidden("Only the citizen who made the request can do this.")


def _require_note(action: Action, note: str | None) -> str | None:
    if STEPS[action].note_required and not note:
        raise InvalidInput(
            f"A note for the citizen is required to {action.value} a request.",
            errors=[_field_error("note", "Say why, so the citizen knows what to do.")],
        )
    return note or None


def _ensure_possible(request: LetterRequest, action: Action) -> None:
    """409 when ``action`` is impossible in the request's status."""
    current = AgencyStatus(request.status)
    if current not in STEPS[action].allowed_from:
        raise InvalidTransition(
            f"A request in status '{current.value}' cannot be {STEPS[action].verb}.",
            current_status=current.value,
            allowed_actions=[a.value for a in next_actions(current)],
        )


def _transition(request: LetterRequest, action: Action) -> str:
    """Move the request along the chain (409 when impossible); return the previous status."""
    _ensure_possible(request, action)
    previous = request.status
    request.status = STEPS[action].target.value
    return previous


async def _issue_letter(
    session: AsyncSession, *, request: LetterRequest, principal: Principal, now: datetime
) -> None:
    """Number, date, signer and verification code of the letter (the final approval).

    ``<class>/<nnnn>/Kel.<Kelurahan>/<year>``, signed by the Lurah, or
    ``<class>/<nnnn>/Kel.<Kelurahan>/Kec.<Kecamatan>/<year>``, signed by the Camat; ``nnnn``
    counts per kelurahan and year, gapless.
    """
    issued_on = now.astimezone(WIB).date()
    number = await repository.next_letter_number(
        session, kelurahan_code=request.kelurahan_code, year=issued_on.year
    )
    kelurahan = find_kelurahan(request.kelurahan_code)
    kelurahan_name = kelurahan.name if kelurahan else request.kelurahan_code
    kecamatan_name = kelurahan.kecamatan_name if kelurahan else request.kecamatan_code
    parts = [request.letter_type.classification_code, f"{number:04d}"]
    parts.append("Kel." + kelurahan_name.replace(" ", ""))
    if request.level == Level.KECAMATAN.value:
        parts.append("Kec." + kecamatan_name.replace(" ", ""))
        request.signer_title = f"Camat {kecamatan_name}"
    else:
        request.signer_title = f"Lurah {kelurahan_name}"
    request.letter_number = "/".join([*parts, str(issued_on.year)])
    request.issued_on = issued_on
    request.approved_at = now
    request.signer_sub = principal.sub
    request.signer_name = principal.name or principal.sub
    request.verification_code = new_code()


async def _record(
    session: AsyncSession,
    *,
    request: LetterRequest,
    action: Action,
    previous: str | None,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    """History row and events of one change (the request's status is already the new one)."""
    if previous is not None:
        request.sequence += 1
    request.updated_at = now
    repository.add_history(
        session,
        LetterRequestHistory(
            **_history_values(
                request_id=request.id,
                sequence=request.sequence,
                action=action,
                previous=previous,
                status=request.status,
                principal=principal,
                note=note,
                now=now,
                level=request.level,
            )
        ),
    )
    await _publish(
        session,
        request=request,
        action=action,
        previous=previous,
        principal=principal,
        note=note,
        now=now,
    )


def _history_values(
    *,
    request_id: str,
    sequence: int,
    action: Action,
    previous: str | None,
    status: str,
    principal: Principal,
    note: str | None,
    now: datetime,
    level: str = "kelurahan",
) -> dict[str, Any]:
    return {
        "id": str(ULID()),
        "request_id": request_id,
        "sequence": sequence,
        "level": level,
        "action": action.value,
        "from_status": previous,
        "to_status": status,
        "actor_sub": principal.sub,
        "actor_role": principal.role,
        "note": note,
        "occurred_at": now,
    }


async def _publish(
    session: AsyncSession,
    *,
    request: LetterRequest | RequestView,
    action: Action,
    previous: str | None,
    principal: Principal,
    note: str | None,
    now: datetime,
) -> None:
    """The events of one change (the request's status is already the new one)."""
    await publish_letter_change(
        session,
        request=request,
        title=request.letter_type.name,
        verb=STEPS[action].verb,
        previous_status=previous,
        status=_unified(request),
        actor_role=principal.role,
        note=note,
        occurred_at=now,
    )


def _unified(request: LetterRequest | RequestView) -> UnifiedStatus:
    return unified_status(request.status, request.level, request.needs_kecamatan)
