"""The gateway's edge headers: security headers on every answer, and strict CORS.

Every answer (proxied or the gateway's own) gets ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``, a Content-Security-Policy that
allows nothing and no framing (unless the answer brings its own, e.g. the login page; the API
docs pages load Swagger UI and keep none), and ``Strict-Transport-Security`` when the public URL
is https. CORS: only the configured origins (default: the portal's own) are named in
``Access-Control-Allow-Origin``; never ``*``, never credentials; headers of that family coming
from an upstream are dropped. A preflight from another origin is refused (403, no CORS headers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import Message, Scope, Send

from cimahi_gateway.config import GatewaySettings
from cimahi_shared.errors import problem_body

_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_DOCS_PATHS = frozenset(("/docs", "/redoc", "/docs/oauth2-redirect"))
_ALLOW_METHODS = b"GET, POST, PUT, PATCH, DELETE"
_ALLOW_HEADERS = (
    b"Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-ID, Traceparent"
)
_EXPOSE_HEADERS = b"Location, Retry-After, X-Request-ID, ETag, RateLimit-Limit, RateLimit-Remaining"


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class EdgeHeaders:
    """Adds the security and CORS headers to the answers of ``app`` (a plain ASGI wrapper)."""

    def __init__(self, settings: GatewaySettings) -> None:
        origins = settings.cors_origins or [settings.public_url]
        self.origins = frozenset(origin_of(o) for o in origins if o.strip() and o.strip() != "*")
        self.base: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if settings.public_url.lower().startswith("https://") and settings.hsts_seconds > 0:
            self.base.append(
                (b"strict-transport-security", f"max-age={settings.hsts_seconds}".encode())
            )

    def _origin(self, scope: Scope) -> bytes | None:
        for name, value in scope["headers"]:
            if name == b"origin":
                return bytes(value)
        return None

    async def preflight(self, scope: Scope, send: Send) -> bool:
        """Answer a CORS preflight (True) or let the request through (False)."""
        if scope["method"] != "OPTIONS":
            return False
        origin = self._origin(scope)
        if origin is None or not any(
            name == b"access-control-request-method" for name, _ in scope["headers"]
        ):
            return False
        headers = list(self.base)
        headers.append((b"vary", b"Origin"))
        if origin.decode("latin-1").lower() in self.origins:
            status, body = 204, b""
            headers += [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-methods", _ALLOW_METHODS),
                (b"access-control-allow-headers", _ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
            ]
        else:
            status = 403
            body = problem_body(
                status=403,
                title="Origin not allowed",
                code="cors-origin-not-allowed",
                detail="Cross-origin requests from this origin are not allowed.",
            )
            headers.append((b"content-type", b"application/problem+json"))
        headers += [
            (b"content-length", str(len(body)).encode()),
            (b"content-security-policy", _CSP),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return True

    def wrap(self, scope: Scope, send: Send) -> Send:
        """``send`` adding the edge headers to the answer's start."""
        origin = self._origin(scope)
        allowed = origin is not None and origin.decode("latin-1").lower() in self.origins
        csp = scope["path"] not in _DOCS_PATHS

        async def edge_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if not name.lower().startswith(b"access-control-")
                ]
                present = {name.lower() for name, _ in headers}
                headers += [item for item in self.base if item[0] not in present]
                if csp and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", _CSP))
                if origin is not None:
                    headers.append((b"vary", b"Origin"))
                if allowed and origin is not None:
                    headers.append((b"access-control-allow-origin", origin))
                    headers.append((b"access-control-expose-headers", _EXPOSE_HEADERS))
                message = {**message, "headers": headers}
            await send(message)

        return edge_send
