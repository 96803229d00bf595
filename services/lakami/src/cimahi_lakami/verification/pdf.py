"""The issued letter as an A4 PDF in Bahasa Indonesia, with the QR code of its verification URL.

Rendered with fpdf2's core fonts (Helvetica), which only hold Latin-1: text outside it is
transliterated (``Ś`` -> ``S``, typographic quotes -> ASCII) and what remains becomes ``?``. No
TrueType font ships with a package LAKAMI can rely on. The QR code is made in memory (segno, PNG).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import segno
from fpdf import FPDF

MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
# Characters NFKD does not reduce to Latin-1 but that have an obvious ASCII stand-in.
_ASCII = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
    }
)
QR_SCALE = 4  # pixels per module of the embedded PNG (the PDF scales it to QR_SIZE_MM)
QR_BORDER = 4  # quiet zone in modules (ISO/IEC 18004 minimum)
QR_SIZE_MM = 32.0

_MARGIN = 25.0
_LINE = 6.0
_LABEL_WIDTH = 48.0
_INDENT = 8.0


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


def indonesian_date(value: date) -> str:
    """``29 November 2026``."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def latin1(text: str) -> str:
    """``text`` as the core fonts can print it: Latin-1 kept, the rest transliterated or ``?``."""
    out = []
    for char in text.translate(_ASCII):
        if ord(char) < 256:
            out.append(char if char.isprintable() else " ")
            continue
        base = "".join(
            c
            for c in unicodedata.normalize("NFKD", char).translate(_ASCII)
            if ord(c) < 256 and not unicodedata.combining(c)
        )
        out.append(base or "?")
    return "".join(out)


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as PNG bytes (error correction M, black on white)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", boost_error=False).save(
        buffer, kind="png", scale=QR_SCALE, border=QR_BORDER
    )
    return buffer.getvalue()


class _Letter(FPDF):
    def text_line(self, text: str, *, style: str = "", size: float = 11, align: str = "L") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, _LINE, latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str) -> None:
        self.set_font("Helvetica", "", 11)
        self.set_x(_MARGIN + _INDENT)
        self.cell(_LABEL_WIDTH, _LINE, latin1(label))
        self.cell(4, _LINE, ":")
        self.multi_cell(0, _LINE, latin1(value), align="L", new_x="LMARGIN", new_y="NEXT")


def render_letter(content: LetterContent) -> bytes:
    """The letter as PDF bytes."""
    pdf = _Letter(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(_MARGIN, 20, _MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(latin1(f"{content.title} {content.letter_number}"))
    pdf.set_author("Pemerintah Kota Cimahi")
    pdf.set_creator("LAKAMI Kota Cimahi")
    pdf.set_lang("id")
    pdf.add_page()

    pdf.text_line("PEMERINTAH KOTA CIMAHI", style="B", size=14, align="C")
    pdf.text_line(f"KECAMATAN {content.kecamatan_name.upper()}", style="B", size=13, align="C")
    if content.kelurahan_name:
        pdf.text_line(f"KELURAHAN {content.kelurahan_name.upper()}", style="B", size=13, align="C")
    y = pdf.get_y() + 2
    pdf.set_line_width(0.8)
    pdf.line(_MARGIN, y, pdf.w - _MARGIN, y)
    pdf.set_line_width(0.2)
    pdf.line(_MARGIN, y + 1.2, pdf.w - _MARGIN, y + 1.2)
    pdf.set_y(y + 6)

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

    # Signature block (right) and QR code (left), kept together on one page.
    block_height = QR_SIZE_MM + 24
    if pdf.get_y() + block_height > pdf.h - 20:
        pdf.add_page()
    top = pdf.get_y()
    half = (pdf.w - 2 * _MARGIN) / 2
    pdf.set_left_margin(_MARGIN + half)
    pdf.set_x(_MARGIN + half)
    pdf.text_line(f"Cimahi, {indonesian_date(content.issued_on)}", align="C")
    pdf.text_line(content.signer_title, style="B", align="C")
    pdf.text_line("Ditandatangani secara elektronik", style="I", size=9, align="C")
    pdf.ln(10)
    pdf.text_line(content.signer_name, style="BU", align="C")
    pdf.set_left_margin(_MARGIN)

    pdf.image(
        io.BytesIO(qr_png(content.verification_url)),
        x=_MARGIN,
        y=top,
        w=QR_SIZE_MM,
        h=QR_SIZE_MM,
        alt_text="Kode QR verifikasi surat",
    )
    pdf.set_xy(_MARGIN, top + QR_SIZE_MM)
    pdf.set_font("Courier", "B", 10)
    pdf.cell(QR_SIZE_MM, 5, content.verification_code, align="C")
    pdf.set_y(max(pdf.get_y(), top + block_height) + 4)
    pdf.text_line(
        "Keaslian surat ini dapat diperiksa dengan memindai kode QR di atas atau membuka:",
        size=8,
    )
    pdf.text_line(content.verification_url, size=8)
    return bytes(pdf.output())
