"""The shared pieces of issued documents: codes, masked names, Latin-1 printing, the HTML page."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest

from cimahi_shared.documents.codes import new_code, normalise
from cimahi_shared.documents.masking import mask_name
from cimahi_shared.documents.page import facts_list, verification_page, wants_html
from cimahi_shared.documents.pdf import OfficialPdf, SignatureLine, indonesian_date, latin1


class TestCodes:
    def test_a_new_code_is_grouped_and_normalises_to_itself(self) -> None:
        code = new_code()
        assert len(code) == 14
        assert code.count("-") == 2
        assert normalise(code) == code

    def test_typing_mistakes_are_forgiven(self) -> None:
        assert normalise(" 7k3m q9xd 2hvb ") == "7K3M-Q9XD-2HVB"
        assert normalise("IL0O-0000-0000") == "1100-0000-0000"

    @pytest.mark.parametrize(
        "typed", ["", "7K3M-Q9XD", "7K3M-Q9XD-2HVU", "7K3M-Q9XD-2HVB-1", "<b>"]
    )
    def test_what_cannot_be_a_code(self, typed: str) -> None:
        assert normalise(typed) is None


class TestMaskName:
    def test_each_word_keeps_its_first_letter(self) -> None:
        assert mask_name("Ani Lestari") == "A** L******"
        assert mask_name("  Siti  Nur'aini ") == "S*** N*******"


class TestPrinting:
    def test_indonesian_date(self) -> None:
        assert indonesian_date(date(2026, 8, 1)) == "1 Agustus 2026"

    def test_latin1_transliterates_or_replaces(self) -> None:
        assert latin1("Śri Łaksmi “Ujang” – 王\n") == 'Sri Laksmi "Ujang" - ? '

    def test_signature_with_qr_prints_code_and_url(self) -> None:
        pdf = OfficialPdf(title="Uji", creator="tests")
        pdf.letterhead([("PEMERINTAH KOTA CIMAHI", 14.0)])
        pdf.signature_with_qr(
            signature=[
                SignatureLine("Cimahi, 1 Agustus 2026"),
                SignatureLine("Ujang", "BU", 11, 6),
            ],
            url="https://example.test/v1/public/x/7K3M-Q9XD-2HVB",
            code="7K3M-Q9XD-2HVB",
            qr_alt_text="QR",
            footnote="Periksa:",
        )
        page = pypdf.PdfReader(io.BytesIO(pdf.to_bytes())).pages[0]
        text = page.extract_text()
        for expected in ("PEMERINTAH KOTA CIMAHI", "Ujang", "7K3M-Q9XD-2HVB", "example.test"):
            assert expected in text
        assert len(page.images) == 1


class TestPage:
    def test_values_are_escaped(self) -> None:
        page = verification_page(
            site="Cek <Dokumen>",
            heading="Asli & berlaku",
            status_class="ok",
            body=facts_list([("Kode", "<script>"), ("Nama", "A** L******")], code_label="Kode"),
        )
        assert "<script>" not in page
        assert "<code>&lt;script&gt;</code>" in page
        assert "Cek &lt;Dokumen&gt;" in page

    @pytest.mark.parametrize(
        ("accept", "html"),
        [
            (None, False),
            ("*/*", False),
            ("application/json", False),
            ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
            ("application/json, text/html;q=0.5", False),
            ("text/html;q=0, application/json", False),
        ],
    )
    def test_wants_html(self, accept: str | None, html: bool) -> None:
        assert wants_html(accept) is html
