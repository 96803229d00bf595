"""Receipts: the owner's and officers' reads (JSON and PDF) and the public check by code.

Who may read a receipt: the citizen whose account is linked to the object, Bapenda officers
whose area covers the object's kelurahan (logged in the access log) and admins (logged). Anyone
else gets the same 404 as for an unknown NTPD. ``GET /v1/me/receipts`` lists a citizen's receipts
(of their linked objects), newest first. The public check (no login) answers only masked
facts; a code no receipt carries is "not genuine" (404).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.access_log import log_reads
from cimahi_epbb.auth import in_area, is_officer
from cimahi_epbb.models import Receipt
from cimahi_epbb.payments import repository
from cimahi_epbb.payments.pdf import ReceiptSheet, render_receipt, rupiah_text
from cimahi_epbb.payments.schemas import (
    ReceiptLine,
    ReceiptPage,
    ReceiptRead,
    ReceiptVerificationRead,
)
from cimahi_epbb.payments.service import receipt_url
from cimahi_shared.auth import Principal
from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.documents.codes import normalise
from cimahi_shared.documents.page import facts_list, verification_page
from cimahi_shared.documents.pdf import indonesian_date
from cimahi_shared.errors import NotFound
from cimahi_shared.identifiers import format_nop

GENUINE, NOT_GENUINE = "genuine", "not_genuine"
_SITE = "Verifikasi Bukti Pembayaran PBB-P2 Kota Cimahi"


class ReceiptNotFound(NotFound):
    code, title = "receipt-not-found", "No such receipt"


class NotGenuine(NotFound):
    """No receipt was issued with this code (also the answer for a code that cannot be one)."""

    code, title = "receipt-not-genuine", "Tidak terdaftar / not genuine"


def _nop(receipt: Receipt) -> str:
    return str(receipt.lines[0]["nop"])


def _lines(receipt: Receipt) -> list[ReceiptLine]:
    return [
        ReceiptLine(**{**line, "nop_display": format_nop(str(line["nop"]))})
        for line in receipt.lines
    ]


async def _readable(
    session: AsyncSession, *, principal: Principal, ntpd: str, purpose: str, now: datetime
) -> Receipt:
    receipt = await repository.receipt(session, ntpd)
    if receipt is None:
        raise ReceiptNotFound(f"No receipt {ntpd} for you.")
    nop = _nop(receipt)
    if principal.is_citizen:
        allowed = await repository.owner_of(session, nop) == principal.sub
    elif is_officer(principal):
        obj = await repository.tax_object(session, nop)
        allowed = obj is not None and in_area(principal, obj.kelurahan_code)
    else:
        allowed = principal.is_admin
    if not allowed:
        raise ReceiptNotFound(f"No receipt {ntpd} for you.")
    log_reads(
        session,
        principal,
        resource="receipt",
        refs=[(nop, ntpd)],
        action="read",
        purpose=purpose,
        now=now,
    )
    return receipt


def _receipt_read(receipt: Receipt, base_url: str) -> ReceiptRead:
    return ReceiptRead(
        ntpd=receipt.ntpd,
        verification_code=receipt.verification_code,
        verification_url=receipt_url(base_url, receipt.verification_code),
        amount=receipt.amount,
        channel=receipt.channel_code,
        taxpayer_name=receipt.taxpayer_name_masked,
        paid_at=receipt.paid_at,
        issued_at=receipt.issued_at,
        lines=_lines(receipt),
    )


async def my_receipts(
    session: AsyncSession, *, principal: Principal, cursor: str | None, limit: int, base_url: str
) -> ReceiptPage:
    """The receipts of the objects linked to a citizen's account, newest first."""
    found = await repository.receipts_of_owner(
        session, owner_sub=principal.sub, before=cursor, limit=limit + 1
    )
    page = found[:limit]
    return ReceiptPage(
        items=[_receipt_read(r, base_url) for r in page],
        next_cursor=page[-1].ntpd if len(found) > limit else None,
    )


async def read_receipt(
    session: AsyncSession,
    *,
    principal: Principal,
    ntpd: str,
    purpose: str,
    now: datetime,
    base_url: str,
) -> ReceiptRead:
    """A receipt for its owner, the officers of its area and admins."""
    receipt = await _readable(session, principal=principal, ntpd=ntpd, purpose=purpose, now=now)
    return _receipt_read(receipt, base_url)


async def receipt_pdf(
    session: AsyncSession,
    *,
    principal: Principal,
    ntpd: str,
    purpose: str,
    now: datetime,
    base_url: str,
    signer_title: str,
) -> tuple[bytes, str]:
    """The receipt as PDF and its file name."""
    receipt = await _readable(session, principal=principal, ntpd=ntpd, purpose=purpose, now=now)
    channel = await repository.get_channel(session, receipt.channel_code)
    sheet = ReceiptSheet(
        ntpd=receipt.ntpd,
        taxpayer_name=receipt.taxpayer_name_masked,
        channel_name=channel.name if channel is not None else receipt.channel_code,
        amount=receipt.amount,
        paid_at=receipt.paid_at,
        issued_at=receipt.issued_at,
        lines=receipt.lines,
        signer_title=signer_title,
        verification_code=receipt.verification_code,
        verification_url=receipt_url(base_url, receipt.verification_code),
    )
    return render_receipt(sheet), f"bukti-pbb-{receipt.ntpd}.pdf"


async def verify_code(session: AsyncSession, *, typed: str) -> ReceiptVerificationRead:
    """The masked public facts of the receipt with this code (typed or scanned), else 404."""
    code = normalise(typed)
    receipt = await repository.receipt_by_code(session, code) if code is not None else None
    if receipt is None:
        raise NotGenuine(
            "Bukti pembayaran tidak terdaftar: no receipt was issued with this verification "
            "code, so a paper carrying it is not genuine.",
            result=NOT_GENUINE,
        )
    return ReceiptVerificationRead(
        status=GENUINE,
        valid=True,
        message=(
            "Bukti pembayaran ini asli: pembayaran PBB-P2 tercatat di Bapenda Kota Cimahi "
            f"dengan NTPD {receipt.ntpd}."
        ),
        verification_code=receipt.verification_code,
        ntpd=receipt.ntpd,
        amount=receipt.amount,
        channel=receipt.channel_code,
        taxpayer_name=receipt.taxpayer_name_masked,
        paid_at=receipt.paid_at,
        lines=_lines(receipt),
    )


def receipt_page(facts: ReceiptVerificationRead) -> str:
    """The page for a known code."""
    paid = facts.paid_at.astimezone(WIB)
    rows = [
        ("Kode verifikasi", facts.verification_code),
        ("NTPD", facts.ntpd),
        ("Nama wajib pajak", facts.taxpayer_name),
        ("Jumlah dibayar", rupiah_text(facts.amount)),
        ("Tempat pembayaran", facts.channel),
        ("Waktu pembayaran", f"{indonesian_date(paid.date())} {paid:%H:%M} WIB"),
    ]
    rows += [
        (f"PBB {line.tax_year}", f"{line.nop_display} - {rupiah_text(line.total)}")
        for line in facts.lines
    ]
    body = (
        f"<p>{escape(facts.message)}</p>\n"
        "<p>Cocokkan data berikut dengan bukti yang Anda terima. Nama wajib pajak disamarkan "
        "untuk melindungi data pribadi.</p>\n" + facts_list(rows, code_label="Kode verifikasi")
    )
    return verification_page(
        site=_SITE, heading="Bukti pembayaran asli", status_class=f"{GENUINE} ok", body=body
    )


def not_genuine_page() -> str:
    """The page for a code no receipt was issued with."""
    body = (
        "<p>Tidak ada bukti pembayaran yang diterbitkan dengan kode ini: bukti tersebut tidak "
        "terdaftar dan <strong>tidak asli</strong>. Periksa kembali kode yang diketik "
        "(12 karakter, misalnya <code>7K3M-Q9XD-2HVB</code>).</p>\n"
    )
    return verification_page(
        site=_SITE,
        heading="Bukti pembayaran tidak terdaftar - tidak asli",
        status_class=f"{NOT_GENUINE} unknown",
        body=body,
    )
