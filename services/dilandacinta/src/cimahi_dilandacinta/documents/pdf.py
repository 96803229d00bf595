"""An issued population document as an A4 PDF, with the QR code of its public check.

Printable on plain paper (no Garuda emblem, no blank form): the Dinas letterhead, the kind's
title and number, the document's lines, the family table of a KK, the electronic signature of the
head of Dinas and the QR code of ``<public_base_url>/v1/public/documents/<code>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cimahi_shared.documents.pdf import OfficialPdf, SignatureLine, indonesian_date, latin1

# Known member keys (``DocumentDraft.members``) in print order, with their column headings.
MEMBER_COLUMNS: dict[str, str] = {
    "full_name": "Nama Lengkap",
    "nik": "NIK",
    "sex": "Jenis Kelamin",
    "birth_place": "Tempat Lahir",
    "birth_date": "Tanggal Lahir",
    "religion": "Agama",
    "education": "Pendidikan",
    "occupation": "Jenis Pekerjaan",
    "marital_status": "Status Perkawinan",
    "relationship": "Hubungan dalam Keluarga",
    "citizenship": "Kewarganegaraan",
    "father_name": "Nama Ayah",
    "mother_name": "Nama Ibu",
}

# Relative column widths of the family table (a 16-digit NIK must fit on one line).
_COLUMN_WEIGHTS = {"full_name": 3.0, "nik": 3.2}


@dataclass(frozen=True, slots=True)
class DocumentSheet:
    """Everything printed on a document (already decrypted)."""

    title: str
    number: str
    lines: Sequence[tuple[str, str]]
    members: Sequence[dict[str, Any]]
    issued_on: date
    signer_title: str
    signer_name: str
    verification_code: str
    verification_url: str


def member_columns(members: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(key, heading) of the family table: known keys in their order, then the others."""
    present: list[str] = []
    for member in members:
        present.extend(key for key in member if key not in present)
    known = [(key, label) for key, label in MEMBER_COLUMNS.items() if key in present]
    others = [(key, key.replace("_", " ").title()) for key in present if key not in MEMBER_COLUMNS]
    return known + others


def _printed(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        try:
            return indonesian_date(date.fromisoformat(value)) if len(value) == 10 else value
        except ValueError:
            return value
    return str(value)


def _member_table(pdf: OfficialPdf, members: Sequence[dict[str, Any]]) -> None:
    columns = member_columns(members)
    pdf.set_font("Helvetica", "", 7)
    widths = (0.9, *(_COLUMN_WEIGHTS.get(key, 2.0) for key, _ in columns))
    with pdf.table(
        col_widths=widths,
        line_height=4,
        text_align="LEFT",
        first_row_as_headings=True,
    ) as table:
        heading = table.row()
        heading.cell("No")
        for _, label in columns:
            heading.cell(latin1(label))
        for i, member in enumerate(members, start=1):
            row = table.row()
            row.cell(str(i))
            for key, _ in columns:
                row.cell(latin1(_printed(member.get(key))))


def render_document(sheet: DocumentSheet) -> bytes:
    """The document as PDF bytes."""
    pdf = OfficialPdf(
        title=f"{sheet.title} {sheet.number}", creator="DILANDACINTA Disdukcapil Kota Cimahi"
    )
    pdf.letterhead(
        [("PEMERINTAH KOTA CIMAHI", 14.0), ("DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL", 13.0)]
    )
    pdf.text_line(sheet.title.upper(), style="BU", size=12, align="C")
    pdf.text_line(f"Nomor: {sheet.number}", align="C")
    pdf.ln(4)
    for label, value in sheet.lines:
        pdf.row(label, value)
    if sheet.members:
        pdf.ln(3)
        _member_table(pdf, sheet.members)
    pdf.ln(6)
    pdf.signature_with_qr(
        signature=[
            SignatureLine(f"Cimahi, {indonesian_date(sheet.issued_on)}"),
            SignatureLine("Ditandatangani secara elektronik oleh", style="I", size=9),
            SignatureLine(sheet.signer_title, style="B", size=10),
            SignatureLine(sheet.signer_name, style="BU", space_before=6),
        ],
        url=sheet.verification_url,
        code=sheet.verification_code,
        qr_alt_text="Kode QR verifikasi dokumen",
        footnote=(
            "Dokumen ini ditandatangani secara elektronik dan dapat dicetak di kertas biasa. "
            "Keasliannya dapat diperiksa dengan memindai kode QR di atas atau membuka:"
        ),
    )
    return pdf.to_bytes()
