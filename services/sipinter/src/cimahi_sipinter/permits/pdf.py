"""An issued permit as an A4 PDF, with the QR code of its public check.

Printable on plain paper: DPMPTSP's letterhead, the product's title and the permit number, the
holder (business name, NIB, address), the validity, the conditions, the "granted by law" note
of a deemed approval, the electronic signature (the head's, or the system's for permits nobody
signs) and the QR code of ``<public_base_url>/v1/public/permits/<code>``. Layout primitives are
``cimahi_shared.documents.pdf`` (shared with the other agencies' documents).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cimahi_shared.documents.pdf import OfficialPdf, SignatureLine, indonesian_date

DEEMED_APPROVAL_NOTE = (
    "Izin ini diterbitkan karena permohonan dianggap dikabulkan secara hukum (fiktif positif): "
    "tidak diputuskan dalam batas waktu layanan, sebagaimana diatur Pasal 53 Undang-Undang "
    "Nomor 30 Tahun 2014 tentang Administrasi Pemerintahan sebagaimana telah diubah dengan "
    "Undang-Undang Nomor 6 Tahun 2023."
)
OPEN_ENDED = "Selama usaha/kegiatan berjalan dan memenuhi ketentuan"


@dataclass(frozen=True, slots=True)
class PermitSheet:
    """Everything printed on a permit."""

    number: str
    product: str
    permit_name: str
    permit_type: str
    registration_number: str | None
    holder_name: str
    nib: str
    address: str
    kelurahan_name: str | None
    valid_from: date
    valid_until: date | None
    conditions: Sequence[str]
    deemed_approval: bool
    issued_on: date
    signature: Sequence[str]
    """The signature block's lines after the place and date (see :func:`signature_lines`)."""
    verification_code: str
    verification_url: str
    revoked_on: date | None = None


def office_of(head_title: str) -> str:
    """The office a head's title names: ``Kepala Dinas X`` -> ``Dinas X``."""
    return head_title.removeprefix("Kepala ").strip() or head_title


def signature_lines(*, signed_by: str | None, system: bool, head_title: str) -> list[str]:
    """(how, title[, name]) of the signature: the head's, or the system's in the office's name."""
    if system:
        return [signed_by or "Diterbitkan secara elektronik", office_of(head_title)]
    return ["Ditandatangani secara elektronik oleh", head_title, signed_by or "-"]


def _signature(sheet: PermitSheet) -> list[SignatureLine]:
    how, title, *name = sheet.signature
    lines = [
        SignatureLine(f"Cimahi, {indonesian_date(sheet.issued_on)}"),
        SignatureLine(how, style="I", size=9),
        SignatureLine(title, style="B", size=10),
    ]
    lines.extend(SignatureLine(n, style="BU", space_before=6) for n in name)
    return lines


def _validity(sheet: PermitSheet) -> str:
    if sheet.valid_until is None:
        return OPEN_ENDED
    return indonesian_date(sheet.valid_until)


def _body(pdf: OfficialPdf, sheet: PermitSheet) -> None:
    registration = (
        f" nomor registrasi {sheet.registration_number}" if sheet.registration_number else ""
    )
    pdf.text_line(
        f"Berdasarkan permohonan{registration} dan hasil pemeriksaan persyaratan, Pemerintah "
        "Kota Cimahi memberikan izin kepada:"
    )
    pdf.ln(2)
    pdf.row("Nama usaha", sheet.holder_name)
    pdf.row("NIB", sheet.nib)
    pdf.row("Alamat usaha", sheet.address)
    if sheet.kelurahan_name:
        pdf.row("Kelurahan", sheet.kelurahan_name)
    pdf.row("Jenis izin", f"{sheet.permit_name} ({sheet.permit_type})")
    pdf.row("Berlaku sejak", indonesian_date(sheet.valid_from))
    pdf.row("Berlaku sampai", _validity(sheet))
    pdf.ln(3)
    pdf.text_line("Ketentuan yang wajib dipenuhi pemegang izin:", style="B")
    conditions = sheet.conditions or ["Tidak ada ketentuan khusus."]
    for i, condition in enumerate(conditions, start=1):
        pdf.text_line(f"{i}. {condition}")
    if sheet.deemed_approval:
        pdf.ln(2)
        pdf.text_line(DEEMED_APPROVAL_NOTE, style="I", size=9)


def render_permit(sheet: PermitSheet) -> bytes:
    """The permit as PDF bytes."""
    pdf = OfficialPdf(
        title=f"{sheet.product} {sheet.number}", creator="SIPINTER DPMPTSP Kota Cimahi"
    )
    pdf.letterhead(
        [
            ("PEMERINTAH KOTA CIMAHI", 14.0),
            ("DINAS PENANAMAN MODAL DAN PELAYANAN TERPADU SATU PINTU", 12.0),
        ]
    )
    pdf.text_line(sheet.product.upper(), style="BU", size=12, align="C")
    pdf.text_line(f"Nomor: {sheet.number}", align="C")
    if sheet.revoked_on is not None:
        pdf.text_line(
            f"IZIN INI TELAH DICABUT PADA {indonesian_date(sheet.revoked_on).upper()}",
            style="B",
            align="C",
        )
    pdf.ln(4)
    _body(pdf, sheet)
    pdf.ln(6)
    pdf.signature_with_qr(
        signature=_signature(sheet),
        url=sheet.verification_url,
        code=sheet.verification_code,
        qr_alt_text="Kode QR verifikasi izin",
        footnote=(
            "Izin ini diterbitkan secara elektronik dan dapat dicetak di kertas biasa. "
            "Keaslian dan keberlakuannya dapat diperiksa dengan memindai kode QR di atas atau "
            "membuka:"
        ),
    )
    return pdf.to_bytes()
