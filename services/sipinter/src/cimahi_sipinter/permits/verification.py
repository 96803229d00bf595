"""The public check of a permit by its verification code: valid, expired or revoked, with public
facts only; a code no permit carries is ``unknown`` (a 404 problem).

Public facts are what the paper itself shows: the number, the type, the holder business's name
and NIB, its kelurahan, the validity and whether it was granted by law. Never an owner's name, a
NIK, an address or the revocation's reason (it may name people; the holder and officers see it).
The HTML page is the shared frame of the city's public checks (``cimahi_shared.documents.page``).
"""

from __future__ import annotations

from datetime import date
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.calendar import WIB
from cimahi_shared.documents.codes import normalise
from cimahi_shared.documents.page import facts_list, verification_page
from cimahi_shared.documents.pdf import indonesian_date
from cimahi_shared.errors import NotFound
from cimahi_shared.regions import kelurahan_name
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.models import Business, Permit
from cimahi_sipinter.permits import repository
from cimahi_sipinter.permits.schemas import PermitStatus, PermitVerificationRead

PUBLIC_PATH = "/v1/public/permits/"
UNKNOWN = "unknown"
_SITE = "Verifikasi Izin DPMPTSP Kota Cimahi"
_HEADINGS: dict[str, str] = {
    "valid": "Izin asli dan berlaku",
    "expired": "Izin asli, tetapi masa berlakunya sudah habis",
    "revoked": "Izin telah dicabut - tidak berlaku",
}


class PermitUnknown(NotFound):
    """No permit was issued with this code (also the answer for a code that cannot be one)."""

    code, title = "permit-unknown", "Izin tidak terdaftar / unknown permit"


def verification_url(code: str, *, base_url: str) -> str:
    """The public URL that checks a permit (printed on it, and in its QR code)."""
    return base_url.rstrip("/") + PUBLIC_PATH + code


def effective_status(permit: Permit, today: date) -> PermitStatus:
    """``revoked``, else ``expired`` once its last valid day is before ``today``, else ``valid``."""
    if permit.status == "revoked":
        return "revoked"
    if permit.valid_until is not None and permit.valid_until < today:
        return "expired"
    return "valid"


def _message(status: PermitStatus, permit: Permit) -> str:
    if status == "valid":
        return "Izin ini asli dan berlaku: diterbitkan oleh DPMPTSP Kota Cimahi."
    if status == "expired" and permit.valid_until is not None:
        return (
            "Izin ini pernah diterbitkan oleh DPMPTSP Kota Cimahi, tetapi masa berlakunya "
            f"berakhir pada {indonesian_date(permit.valid_until)}."
        )
    revoked = permit.revoked_at
    on = f" pada {indonesian_date(revoked.astimezone(WIB).date())}" if revoked else ""
    return (
        f"Izin ini pernah diterbitkan oleh DPMPTSP Kota Cimahi, tetapi telah dicabut{on} "
        "dan tidak berlaku lagi."
    )


def public_facts(permit: Permit, business: Business | None, today: date) -> PermitVerificationRead:
    """What the public check answers for a known permit."""
    status = effective_status(permit, today)
    return PermitVerificationRead(
        status=status,
        valid=status == "valid",
        message=_message(status, permit),
        verification_code=permit.verification_code,
        number=permit.number,
        permit_type=permit.permit_type,
        permit_name=CATALOGUE[permit.permit_type].name_id,
        holder_name=permit.holder_name,
        nib=business.nib if business else None,
        kelurahan_name=kelurahan_name(permit.kelurahan_code),
        valid_from=permit.valid_from,
        valid_until=permit.valid_until,
        issued_at=permit.issued_at,
        deemed_approval=permit.deemed_approval,
        revoked_at=permit.revoked_at if status == "revoked" else None,
    )


async def verify_code(session: AsyncSession, *, typed: str, today: date) -> PermitVerificationRead:
    """The public facts of the permit with this code (typed or scanned), else 404 ``unknown``."""
    code = normalise(typed)
    permit = await repository.by_code(session, code) if code is not None else None
    if permit is None:
        raise PermitUnknown(
            "Izin tidak terdaftar: no permit was issued with this verification code, so a paper "
            "carrying it is not genuine.",
            result=UNKNOWN,
        )
    return public_facts(permit, await session.get(Business, permit.business_id), today)


def permit_page(facts: PermitVerificationRead) -> str:
    """The page for a known code."""
    rows = [
        ("Kode verifikasi", facts.verification_code),
        ("Nomor izin", facts.number),
        ("Jenis izin", facts.permit_name),
        ("Pemegang izin", facts.holder_name),
    ]
    if facts.nib:
        rows.append(("NIB", facts.nib))
    if facts.kelurahan_name:
        rows.append(("Kelurahan", facts.kelurahan_name))
    rows.append(("Berlaku sejak", indonesian_date(facts.valid_from)))
    until = indonesian_date(facts.valid_until) if facts.valid_until else "Selama usaha berjalan"
    rows.append(("Berlaku sampai", until))
    if facts.revoked_at is not None:
        rows.append(("Tanggal dicabut", indonesian_date(facts.revoked_at.astimezone(WIB).date())))
    if facts.deemed_approval:
        rows.append(("Dasar terbit", "Dianggap dikabulkan secara hukum (fiktif positif)"))
    body = (
        f"<p>{escape(facts.message)}</p>\n"
        "<p>Cocokkan data berikut dengan izin yang Anda terima.</p>\n"
        + facts_list(rows, code_label="Kode verifikasi")
    )
    tone = "ok" if facts.valid else "bad"
    return verification_page(
        site=_SITE,
        heading=_HEADINGS[facts.status],
        status_class=f"{facts.status} {tone}",
        body=body,
    )


def unknown_page() -> str:
    """The page for a code no permit was issued with."""
    body = (
        "<p>Tidak ada izin yang diterbitkan dengan kode ini: izin tersebut tidak terdaftar "
        "dan <strong>tidak asli</strong>. Periksa kembali kode yang diketik (12 karakter, "
        "misalnya <code>7K3M-Q9XD-2HVB</code>).</p>\n"
    )
    return verification_page(
        site=_SITE,
        heading="Izin tidak terdaftar - tidak asli",
        status_class=f"{UNKNOWN} unknown",
        body=body,
    )
