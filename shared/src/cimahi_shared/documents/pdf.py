"""A4 documents of the city in Bahasa Indonesia, with the QR code of their public check.

Rendered with fpdf2's core fonts (Helvetica), which only hold Latin-1: text outside it is
transliterated (``Ś`` -> ``S``, typographic quotes -> ASCII) and what remains becomes ``?``. No
TrueType font ships with a package the services can rely on. The QR code is made in memory
(segno, PNG). Each service lays out its own documents with :class:`OfficialPdf`.
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

MARGIN = 25.0
LINE = 6.0
LABEL_WIDTH = 48.0
INDENT = 8.0


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


@dataclass(frozen=True, slots=True)
class SignatureLine:
    """One centred line of the signature block (``space_before`` mm of room above it)."""

    text: str
    style: str = ""
    size: float = 11
    space_before: float = 0.0


class OfficialPdf(FPDF):
    """An A4 portrait page with the city's margins and the primitives of its documents."""

    def __init__(self, *, title: str, creator: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(MARGIN, 20, MARGIN)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(latin1(title))
        self.set_author("Pemerintah Kota Cimahi")
        self.set_creator(creator)
        self.set_lang("id")
        self.add_page()

    def text_line(self, text: str, *, style: str = "", size: float = 11, align: str = "L") -> None:
        """A paragraph across the page (wrapped)."""
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, LINE, latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")

    def row(self, label: str, value: str) -> None:
        """``label : value``, indented, the value wrapped in its column."""
        self.set_font("Helvetica", "", 11)
        self.set_x(MARGIN + INDENT)
        self.cell(LABEL_WIDTH, LINE, latin1(label))
        self.cell(4, LINE, ":")
        self.multi_cell(0, LINE, latin1(value), align="L", new_x="LMARGIN", new_y="NEXT")

    def letterhead(self, lines: Sequence[tuple[str, float]]) -> None:
        """Centred bold lines (text, size) above a double rule."""
        for text, size in lines:
            self.text_line(text, style="B", size=size, align="C")
        y = self.get_y() + 2
        self.set_line_width(0.8)
        self.line(MARGIN, y, self.w - MARGIN, y)
        self.set_line_width(0.2)
        self.line(MARGIN, y + 1.2, self.w - MARGIN, y + 1.2)
        self.set_y(y + 6)

    def signature_with_qr(
        self,
        *,
        signature: Sequence[SignatureLine],
        url: str,
        code: str,
        qr_alt_text: str,
        footnote: str,
    ) -> None:
        """The signature (right half) beside the QR code of ``url`` and its ``code`` (left),
        kept together on one page; then ``footnote`` and ``url`` in small print."""
        block_height = QR_SIZE_MM + 24
        if self.get_y() + block_height > self.h - 20:
            self.add_page()
        top = self.get_y()
        half = (self.w - 2 * MARGIN) / 2
        self.set_left_margin(MARGIN + half)
        self.set_x(MARGIN + half)
        for line in signature:
            if line.space_before:
                self.ln(line.space_before)
            self.text_line(line.text, style=line.style, size=line.size, align="C")
        self.set_left_margin(MARGIN)

        self.image(
            io.BytesIO(qr_png(url)),
            x=MARGIN,
            y=top,
            w=QR_SIZE_MM,
            h=QR_SIZE_MM,
            alt_text=qr_alt_text,
        )
        self.set_xy(MARGIN, top + QR_SIZE_MM)
        self.set_font("Courier", "B", 10)
        self.cell(QR_SIZE_MM, 5, code, align="C")
        self.set_y(max(self.get_y(), top + block_height) + 4)
        self.text_line(footnote, size=8)
        self.text_line(url, size=8)

    def to_bytes(self) -> bytes:
        """The finished document."""
        return bytes(self.output())
