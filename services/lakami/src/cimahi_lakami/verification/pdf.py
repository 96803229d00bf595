"""The issued letter as an A4 PDF in Bahasa Indonesia, with the QR code of its verification URL.

The page primitives, Latin-1 handling, Indonesian dates and the QR code are the city's shared ones
(``cimahi_shared.documents.pdf``); this module lays out a surat keterangan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cimahi_shared.documents.pdf import QR_BORDER, OfficialPdf, SignatureLine, indonesian_date

__all__ = ["QR_BORDER", "LetterContent", "indonesian_date", "render_letter"]


@dataclass(frozen=True, slots=True)
class LetterContent:
    """Everything printed on a letter (already decrypted, formatted and labelled)."""

    kecamatan_name: str
    kelurahan_name: str | None  # None: issued by the kecamatan (signed by the Camat)
    title: str
    letter_number: str
    signer_title: str
    signer_name: str
    issued_on: date
    full_name: str
    nik: str
    address: str
    cover_letter: str
    details: Sequence[tuple[str, str]]  # (catalogue label, formatted value)
    purpose: str
    verification_code: str
    verification_url: str


def render_letter(content: LetterContent) -> bytes:
    """The letter as PDF bytes."""
    pdf = OfficialPdf(
        title=f"{content.title} {content.letter_number}", creator="LAKAMI Kota Cimahi"
    )
    head = [("PEMERINTAH KOTA CIMAHI", 14.0), (f"KECAMATAN {content.kecamatan_name.upper()}", 13.0)]
    if content.kelurahan_name:
        head.append((f"KELURAHAN {content.kelurahan_name.upper()}", 13.0))
    pdf.letterhead(head)

    pdf.text_line(content.title.upper(), style="BU", size=12, align="C")
    pdf.text_line(f"Nomor: {content.letter_number}", align="C")
    pdf.ln(4)

    office = (
        f"{content.signer_title}, Kecamatan {content.kecamatan_name}, Kota Cimahi"
        if content.kelurahan_name
        else f"{content.signer_title}, Kota Cimahi"
    )
    pdf.text_line(f"Yang bertanda tangan di bawah ini, {office}, menerangkan bahwa:")
    pdf.ln(1)
    pdf.row("Nama", content.full_name)
    pdf.row("NIK", content.nik)
    pdf.row("Alamat", content.address)
    for label, value in content.details:
        pdf.row(label, value)
    pdf.ln(2)
    pdf.text_line(
        f"Surat keterangan ini diberikan berdasarkan {content.cover_letter}, "
        f"untuk keperluan: {content.purpose}."
    )
    pdf.ln(1)
    pdf.text_line(
        "Demikian surat keterangan ini dibuat dengan sebenarnya untuk dipergunakan "
        "sebagaimana mestinya."
    )
    pdf.ln(6)
    pdf.signature_with_qr(
        signature=[
            SignatureLine(f"Cimahi, {indonesian_date(content.issued_on)}"),
            SignatureLine(content.signer_title, style="B"),
            SignatureLine("Ditandatangani secara elektronik", style="I", size=9),
            SignatureLine(content.signer_name, style="BU", space_before=10),
        ],
        url=content.verification_url,
        code=content.verification_code,
        qr_alt_text="Kode QR verifikasi surat",
        footnote="Keaslian surat ini dapat diperiksa dengan memindai kode QR di atas atau membuka:",
    )
    return pdf.to_bytes()
