"""A receipt (bukti pembayaran PBB-P2) as an A4 PDF with the QR code of its public check.

Printable on plain paper: the Bapenda letterhead, the NTPD, the channel and payment time, one
line per bill (NOP, tax year, SPPT, principal, reduction, discount, penalty, amount), the total,
and the QR code of ``<public_base_url>/v1/public/receipts/<code>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cimahi_shared.calendar.workdays import WIB
from cimahi_shared.documents.pdf import OfficialPdf, SignatureLine, indonesian_date, latin1
from cimahi_shared.identifiers import format_nop

_COLUMNS = (
    ("Tahun", 1.0),
    ("NOP", 3.4),
    ("Pokok", 1.8),
    ("Pengurangan", 1.8),
    ("Diskon", 1.5),
    ("Denda", 1.5),
    ("Jumlah", 1.8),
)


@dataclass(frozen=True, slots=True)
class ReceiptSheet:
    """Everything printed on a receipt (masked personal data only)."""

    ntpd: str
    taxpayer_name: str
    channel_name: str
    amount: int
    paid_at: datetime
    issued_at: datetime
    lines: Sequence[dict[str, Any]]
    signer_title: str
    verification_code: str
    verification_url: str


def rupiah_text(amount: int) -> str:
    """``Rp453.924`` (Indonesian thousands separator)."""
    return "Rp" + f"{amount:,}".replace(",", ".")


def _wib(moment: datetime) -> str:
    local = moment.astimezone(WIB)
    return f"{indonesian_date(local.date())} {local:%H:%M} WIB"


def render_receipt(sheet: ReceiptSheet) -> bytes:
    """The receipt as PDF bytes."""
    pdf = OfficialPdf(
        title=f"Bukti Pembayaran PBB-P2 {sheet.ntpd}", creator="E-PBB Bapenda Kota Cimahi"
    )
    pdf.letterhead([("PEMERINTAH KOTA CIMAHI", 14.0), ("BADAN PENDAPATAN DAERAH", 13.0)])
    pdf.text_line("BUKTI PEMBAYARAN PBB-P2", style="BU", size=12, align="C")
    pdf.text_line(f"NTPD: {sheet.ntpd}", align="C")
    pdf.ln(4)
    nops = sorted({str(line["nop"]) for line in sheet.lines})
    pdf.row("NOP", ", ".join(format_nop(n) for n in nops))
    pdf.row("Nama wajib pajak", sheet.taxpayer_name)
    pdf.row("Tempat pembayaran", sheet.channel_name)
    pdf.row("Waktu pembayaran", _wib(sheet.paid_at))
    pdf.row("Jumlah dibayar", rupiah_text(sheet.amount))
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(
        col_widths=tuple(w for _, w in _COLUMNS),
        line_height=4,
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        first_row_as_headings=True,
    ) as table:
        heading = table.row()
        for label, _ in _COLUMNS:
            heading.cell(label)
        for line in sheet.lines:
            row = table.row()
            row.cell(str(line["tax_year"]))
            row.cell(format_nop(str(line["nop"])))
            row.cell(rupiah_text(int(line["principal"])))
            row.cell(rupiah_text(int(line["reduction"])))
            row.cell(rupiah_text(int(line["discount"])))
            row.cell(rupiah_text(int(line["penalty"]) - int(line["penalty_waived"])))
            row.cell(rupiah_text(int(line["total"])))
    pdf.ln(6)
    pdf.signature_with_qr(
        signature=[
            SignatureLine(f"Cimahi, {indonesian_date(sheet.issued_at.astimezone(WIB).date())}"),
            SignatureLine("Diterbitkan secara elektronik oleh", style="I", size=9),
            SignatureLine(latin1(sheet.signer_title), style="B", size=10),
        ],
        url=sheet.verification_url,
        code=sheet.verification_code,
        qr_alt_text="Kode QR verifikasi bukti pembayaran",
        footnote=(
            "Bukti pembayaran ini sah tanpa tanda tangan basah. Keasliannya dapat diperiksa dengan "
            "memindai kode QR di atas atau membuka:"
        ),
    )
    return pdf.to_bytes()
