"""The public check as a small HTML page in Bahasa Indonesia (for a phone that scanned the QR code).

The page frame, its headers and escaping are the city's shared ones (``cimahi_shared.documents.page``).
"""

from __future__ import annotations

from html import escape

from cimahi_lakami.verification.schemas import LetterVerificationRead, VerificationResult
from cimahi_shared.documents.page import HTML_HEADERS, facts_list, verification_page
from cimahi_shared.documents.pdf import indonesian_date

__all__ = ["HTML_HEADERS", "letter_page", "unknown_page"]

_SITE = "Verifikasi Surat LAKAMI Kota Cimahi"
_HEADINGS = {
    VerificationResult.GENUINE: "Surat asli dan berlaku",
    VerificationResult.REVOKED: "Surat telah dicabut - tidak berlaku",
    VerificationResult.UNKNOWN: "Kode verifikasi tidak dikenal",
}
_TONES = {
    VerificationResult.GENUINE: "ok",
    VerificationResult.REVOKED: "bad",
    VerificationResult.UNKNOWN: "unknown",
}


def _page(result: VerificationResult, body: str) -> str:
    return verification_page(
        site=_SITE,
        heading=_HEADINGS[result],
        status_class=f"{result.value} {_TONES[result]}",
        body=body,
    )


def letter_page(facts: LetterVerificationRead) -> str:
    """The page for a known code (genuine or revoked)."""
    rows = [
        ("Kode verifikasi", facts.verification_code),
        ("Jenis surat", facts.letter_type),
        ("Nomor surat", facts.letter_number),
        ("Tanggal surat", indonesian_date(facts.issued_on)),
        ("Kelurahan", facts.kelurahan),
        ("Kecamatan", facts.kecamatan),
        ("Ditandatangani oleh", facts.signer_title),
        ("Nama pemegang", facts.holder_name),
        ("NIK pemegang", facts.holder_nik),
    ]
    if facts.revoked_on is not None:
        rows.append(("Tanggal dicabut", indonesian_date(facts.revoked_on)))
    body = (
        f"<p>{escape(facts.message)}</p>\n"
        "<p>Cocokkan data berikut dengan surat yang Anda terima. Nama dan NIK disamarkan "
        "untuk melindungi data pribadi pemegang surat.</p>\n"
        + facts_list(rows, code_label="Kode verifikasi")
    )
    return _page(facts.result, body)


def unknown_page() -> str:
    """The page for a code no letter was issued with."""
    body = (
        "<p>Tidak ada surat yang diterbitkan dengan kode ini. Periksa kembali kode yang "
        "diketik (12 karakter, misalnya <code>7K3M-Q9XD-2HVB</code>). Jika kode sudah benar, "
        "surat tersebut bukan surat yang diterbitkan melalui LAKAMI Kota Cimahi.</p>\n"
    )
    return _page(VerificationResult.UNKNOWN, body)
