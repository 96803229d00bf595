"""Pure ASGI middleware (cheap on the hot path): request id, access log and metrics, body limit."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from ulid import ULID

from cimahi_shared.context import request_id_var
from cimahi_shared.errors import problem_body

access_log = logging.getLogger("cimahi.access")
error_log = logging.getLogger("cimahi.errors")

HTTP_REQUESTS = Counter(
    "cimahi_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "cimahi_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContextMiddleware:
    """Assign or propagate ``X-Request-ID``, log one access line, and count the request."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _VALID_REQUEST_ID.match(incoming) else str(ULID())
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_wrapper)
            except Exception:
                if started:
                    raise
                # Answer here, inside the request context: the 500 carries X-Request-ID and the
                # log line the request id (Starlette's outermost handler would have neither).
                error_log.exception("unhandled error", extra={"path": scope.get("path")})
                await _send_internal_error(send_wrapper, scope)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], route).observe(elapsed)
            if route not in ("/healthz", "/readyz", "/metrics"):
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(token)


async def _send_internal_error(send: Send, scope: Scope) -> None:
    body = problem_body(
        status=500,
        title="Internal error",
        code="internal-error",
        detail="An unexpected error occurred; it has been logged.",
        instance=str(scope.get("path", "")) or None,
    )
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class BodySizeLimitMiddleware:
    """Refuse request bodies above ``max_bytes`` with 413 problem+json before the app reads them.

    ``route_limits`` raises (or lowers) the limit for exact ``(method, path)`` pairs only, e.g. a
    file upload endpoint; every other route keeps ``max_bytes``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        route_limits: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = dict(route_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.route_limits.get((scope["method"], scope["path"]), self.max_bytes)
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_too_large(send, limit)
            return
        # Read the body here (up to the limit) before the app sees any of it: an exception raised
        # from inside the app's receive() would be turned into a 400 by FastAPI's body parsing.
        chunks: list[bytes] = []
        received = 0
        disconnect: Message | None = None
        while True:
            message = await receive()
            if message["type"] != "http.request":
                disconnect = message
                break
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await _send_too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def buffered_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if disconnect is not None:
                    return disconnect
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, buffered_receive, send)


async def _send_too_large(send: Send, limit: int) -> None:
    body = problem_body(
        status=413,
        title="Request body too large",
        code="payload-too-large",
        detail=f"The request body exceeds {limit} bytes.",
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
