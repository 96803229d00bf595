"""The small HTML pages of the authorization endpoint (Indonesian, accessible, no scripts)."""

from __future__ import annotations

from html import escape

# No scripts, no framing (clickjacking), no external resources.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f24}
main{max-width:24rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin-top:0}
label{display:block;font-weight:600;margin-top:1rem}
input{width:100%;box-sizing:border-box;padding:.6rem;font-size:1rem;margin-top:.3rem;
border:1px solid #5b6470;border-radius:4px}
input:focus,button:focus{outline:3px solid #1a5fb4;outline-offset:2px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;background:#1a5fb4;color:#fff;
border:0;border-radius:4px;cursor:pointer}
.error{background:#fde8e8;border-left:4px solid #b3261e;padding:.7rem;margin-bottom:1rem}
.hint{font-size:.9rem;color:#47505a}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def login_page(
    *,
    action: str,
    fields: dict[str, str],
    client_id: str,
    username: str = "",
    error: str | None = None,
) -> str:
    """The login form; ``fields`` are the authorization parameters carried as hidden inputs."""
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    alert = ""
    described = "login-hint"
    if error:
        alert = f'<div class="error" role="alert" id="login-error">{escape(error)}</div>'
        described = "login-error login-hint"
    invalid = ' aria-invalid="true"' if error else ""
    body = f"""<h1>Masuk ke POLAKAMI</h1>
<p>Akun tunggal Kota Cimahi. Aplikasi <strong>{escape(client_id)}</strong> meminta Anda masuk.</p>
{alert}
<form method="post" action="{escape(action)}" novalidate>
{hidden}
<label for="username">NIK, email, nomor HP, atau nama pengguna</label>
<input id="username" name="username" type="text" autocomplete="username" required
 value="{escape(username)}" aria-describedby="{described}"{invalid}>
<p class="hint" id="login-hint">Warga: gunakan NIK (16 digit), email, atau nomor HP.</p>
<label for="password">Kata sandi</label>
<input id="password" name="password" type="password" autocomplete="current-password" required{invalid}>
<button type="submit">Masuk</button>
</form>"""
    return _page("Masuk - POLAKAMI", body)


def error_page(message: str) -> str:
    """A page for authorization requests that cannot be sent back to the client."""
    body = (
        '<h1>Permintaan masuk tidak valid</h1>\n<div class="error" role="alert">'
        f"{escape(message)}</div>\n<p>Kembali ke aplikasi dan coba lagi.</p>"
    )
    return _page("Permintaan tidak valid - POLAKAMI", body)
