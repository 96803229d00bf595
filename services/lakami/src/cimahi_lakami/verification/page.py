"""The public check as a small HTML page in Bahasa Indonesia (for a phone that scanned the QR code).

Every value is escaped; the page loads nothing (no scripts, images or external styles) and its
Content-Security-Policy allows only its own inline style.
"""

from __future__ import annotations

from html import escape

from cimahi_lakami.verification.pdf import indonesian_date
from cimahi_lakami.verification.schemas import LetterVerificationRead, VerificationResult

HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;
line-height:1.5;color:#111;background:#fff}
.status{border:3px solid;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
.genuine{border-color:#1a6b2d;background:#e8f5ea}.revoked{border-color:#9a1c1c;background:#fdeaea}
.unknown{border-color:#7a5a00;background:#fff6dc}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0}code{font-size:1.1em}
"""

_HEADINGS = {
    VerificationResult.GENUINE: "Surat asli dan berlaku",
    VerificationResult.REVOKED: "Surat telah dicabut - tidak berlaku",
    VerificationResult.UNKNOWN: "Kode verifikasi tidak dikenal",
}


def _page(result: VerificationResult, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(_HEADINGS[result])} - Verifikasi Surat LAKAMI Kota Cimahi</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        "<h1>Verifikasi Surat LAKAMI Kota Cimahi</h1>\n"
        f'<div class="status {result.value}" role="status">\n'
        f"<h2>{escape(_HEADINGS[result])}</h2>\n{body}</div>\n"
        "</main>\n</body>\n</html>\n"
    )


def letter_page(facts: LetterVerificationRead) -> str:
    """The page for a known code (genuine or revoked)."""
    rows = [
        ("Kode verifikasi", f"<code>{escape(facts.verification_code)}</code>"),
        ("Jenis surat", escape(facts.letter_type)),
        ("Nomor surat", escape(facts.letter_number)),
        ("Tanggal surat", escape(indonesian_date(facts.issued_on))),
        ("Kelurahan", escape(facts.kelurahan)),
        ("Kecamatan", escape(facts.kecamatan)),
        ("Ditandatangani oleh", escape(facts.signer_title)),
        ("Nama pemegang", escape(facts.holder_name)),
        ("NIK pemegang", escape(facts.holder_nik)),
    ]
    if facts.revoked_on is not None:
        rows.append(("Tanggal dicabut", escape(indonesian_date(facts.revoked_on))))
    listing = "".join(f"<dt>{label}</dt><dd>{value}</dd>\n" for label, value in rows)
    body = (
        f"<p>{escape(facts.message)}</p>\n"
        "<p>Cocokkan data berikut dengan surat yang Anda terima. Nama dan NIK disamarkan "
        "untuk melindungi data pribadi pemegang surat.</p>\n"
        f"<dl>\n{listing}</dl>\n"
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
