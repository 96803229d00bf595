"""The public check of a document as a small HTML page (for a phone that scanned the QR code).

Callers pass already-escaped fragments (:func:`facts_list` escapes its values); the page loads
nothing (no scripts, images or external styles) and its Content-Security-Policy allows only its
own inline style. :func:`wants_html` decides between this page and the JSON answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# Tones of the status box: ok (valid), bad (no longer valid), unknown (not genuine / not found).
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;
line-height:1.5;color:#111;background:#fff}
.status{border:3px solid;border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
.ok{border-color:#1a6b2d;background:#e8f5ea}.bad{border-color:#9a1c1c;background:#fdeaea}
.unknown{border-color:#7a5a00;background:#fff6dc}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0}code{font-size:1.1em}
"""
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_JSON_TYPES = ("application/json", "application/problem+json")


def verification_page(*, site: str, heading: str, status_class: str, body: str) -> str:
    """A whole page: ``site`` as its title, ``heading`` in a status box of ``status_class``
    (e.g. ``"genuine ok"``), and the ``body`` fragment (already escaped) inside it."""
    return (
        '<!DOCTYPE html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{escape(heading)} - {escape(site)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{escape(site)}</h1>\n"
        f'<div class="status {escape(status_class)}" role="status">\n'
        f"<h2>{escape(heading)}</h2>\n{body}</div>\n"
        "</main>\n</body>\n</html>\n"
    )


def facts_list(rows: Sequence[tuple[str, str]], *, code_label: str | None = None) -> str:
    """A ``<dl>`` of (label, value) rows, every value escaped; the row labelled ``code_label``
    shows its value as ``<code>``."""
    items = []
    for label, value in rows:
        shown = f"<code>{escape(value)}</code>" if label == code_label else escape(value)
        items.append(f"<dt>{escape(label)}</dt><dd>{shown}</dd>\n")
    return "<dl>\n" + "".join(items) + "</dl>\n"


def wants_html(accept: str | None) -> bool:
    """Whether the client prefers HTML to JSON (a browser does; ``*/*`` or nothing means JSON)."""
    quality: dict[str, float] = {}
    for part in (accept or "").lower().split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media:
            quality[media] = max(q, quality.get(media, 0.0))

    def best(types: tuple[str, ...], family: str) -> float:
        exact = [quality[t] for t in types if t in quality]
        if exact:
            return max(exact)
        return quality.get(family, quality.get("*/*", 0.0))

    return best(_HTML_TYPES, "text/*") > best(_JSON_TYPES, "application/*")
