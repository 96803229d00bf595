"""The gateway's hot path: a plain ASGI reverse proxy for ``/api/<agency>/<rest>``.

Everything else goes to the gateway's own (FastAPI) app. Per proxied request: route by path,
authenticate the bearer token (cached verification), rate-limit the caller, check the body size
and the upstream's circuit breaker, then send the request to the upstream over a pooled
keep-alive connection (:mod:`cimahi_gateway.routing.upstream`) and relay the answer, streaming
large bodies both ways. Errors are problem+json, never a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import ssl
import time
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.routing.breaker import CircuitBreaker
from cimahi_gateway.routing.edge import EdgeHeaders
from cimahi_gateway.routing.ratelimit import RateLimiter
from cimahi_gateway.routing.upstream import (
    UpstreamConnectError,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
)
from cimahi_shared.app import Runtime
from cimahi_shared.errors import PROBLEM_JSON, ProblemError, problem_body

logger = logging.getLogger("cimahi.gateway.proxy")

PROXY_RESPONSES = Counter(
    "cimahi_gateway_proxy_responses_total",
    "Responses of the gateway's proxy, by agency and status (gateway refusals included)",
    ["agency", "status"],
)

# Request headers never forwarded: hop-by-hop (RFC 9110 7.6.1; plus every Proxy-* header and every
# header that Connection names, checked apart), Host and Content-Length (the pool sets the
# upstream's), the X-Forwarded-* we set ourselves, and Expect (the front server already answered
# 100-continue).
_HOP_BY_HOP = (b"connection", b"keep-alive", b"te", b"trailer", b"transfer-encoding", b"upgrade")
_REQUEST_DROP = frozenset(
    (
        *_HOP_BY_HOP,
        b"host",
        b"content-length",
        b"expect",
        b"x-forwarded-proto",
        b"x-forwarded-host",
    )
)
# Response headers never relayed: hop-by-hop, and what the front server or we set (Server, Date,
# X-Request-ID: one of each, not two).
_RESPONSE_DROP = frozenset((*_HOP_BY_HOP, b"server", b"date", b"x-request-id"))

_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
# W3C trace context, version 00 (exact), or a later version (a prefix; more fields may follow).
_TRACEPARENT_00 = re.compile(rb"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
_TRACEPARENT_LATER = re.compile(
    rb"(?:0[1-9a-f]|[1-9a-e][0-9a-f]|f[0-9a-e])-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-|\Z)"
)
_ZERO_TRACE = b"0" * 32
_ZERO_SPAN = b"0" * 16
# What may go on the upstream's request line: a path and query of visible ASCII, no spaces.
_TARGET = re.compile(rb"/[\x21-\x7e]*")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"

# Bodies up to this size are read whole and sent in one ASGI message; larger ones are streamed.
_SMALL_BODY = 65_536
_NO_BODY_STATUSES = frozenset((204, 304))
_UPSTREAM_FAILURE_STATUSES = frozenset((502, 503, 504))
_ANONYMOUS_METHODS = frozenset(("GET", "HEAD"))
_PUBLIC_PREFIX = "v1/public/"
_INTERNAL_SEGMENT = "internal"
_OPENAPI = "openapi.json"

_WWW_AUTHENTICATE = b'Bearer realm="cimahi"'
_WWW_AUTHENTICATE_INVALID = b'Bearer realm="cimahi", error="invalid_token"'


class _Upstream:
    """One agency's upstream: where it is, its breaker, and its cached OpenAPI document."""

    __slots__ = (
        "agency",
        "base_path",
        "breaker",
        "host",
        "openapi_body",
        "openapi_expires",
        "openapi_lock",
        "pool",
        "port",
        "raw_prefix",
        "servers_url",
        "tls",
    )

    def __init__(self, agency: str, base: str, breaker: CircuitBreaker) -> None:
        self.agency = agency
        url = urlsplit(base)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"upstream of {agency} must be an http(s) URL, not {base!r}")
        self.tls = url.scheme == "https"
        self.host = url.hostname
        self.port = url.port or (443 if self.tls else 80)
        self.base_path = url.path.rstrip("/").encode("ascii")
        self.pool: UpstreamPool | None = None
        self.raw_prefix = f"/api/{agency}/".encode()
        self.servers_url = f"/api/{agency}"
        self.breaker = breaker
        self.openapi_body: bytes | None = None
        self.openapi_expires = 0.0
        self.openapi_lock = asyncio.Lock()


class _BodyTooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


class _RequestBody:
    """The client's request body as an async iterator for the upstream, counted against the limit."""

    __slots__ = ("_first", "_limit", "_receive", "client_gone", "complete", "received", "too_large")

    def __init__(self, first: bytes, receive: Receive, limit: int) -> None:
        self._first: bytes | None = first
        self._receive = receive
        self._limit = limit
        self.received = len(first)
        self.complete = False
        self.too_large = False
        self.client_gone = False

    def __aiter__(self) -> _RequestBody:
        return self

    async def __anext__(self) -> bytes:
        first = self._first
        if first is not None:
            self._first = None
            if first:
                return first
        while not self.complete:
            message = await self._receive()
            if message["type"] != "http.request":
                self.client_gone = True
                raise _ClientGone
            chunk: bytes = message.get("body", b"")
            self.received += len(chunk)
            if self.received > self._limit:
                self.too_large = True
                raise _BodyTooLarge
            if not message.get("more_body", False):
                self.complete = True
            if chunk:
                return chunk
        raise StopAsyncIteration


class ProxyDispatcher:
    """ASGI app: proxies ``/api/<agency>/<rest>`` to the agency's upstream, the rest to ``app``."""

    def __init__(self, app: ASGIApp, *, settings: GatewaySettings, runtime: Runtime) -> None:
        self.app = app
        self._settings = settings
        self._verifier = runtime.verifier
        self._upstreams = {
            agency: _Upstream(
                agency,
                base,
                CircuitBreaker(
                    failure_threshold=settings.breaker_failure_threshold,
                    reset_seconds=settings.breaker_reset_seconds,
                ),
            )
            for agency, base in settings.upstreams.items()
        }
        self._limiter: RateLimiter | None = (
            RateLimiter(
                per_minute=settings.rate_limit_per_minute,
                burst=settings.rate_limit_burst,
                max_clients=settings.rate_limit_max_clients,
            )
            if settings.rate_limit_per_minute > 0
            else None
        )
        self._rate_limit_header = str(settings.rate_limit_burst).encode()
        self._max_body = settings.max_body_bytes
        self._openapi_ttl = settings.openapi_cache_seconds
        self._counters: dict[tuple[str, int], Any] = {}
        self._edge = EdgeHeaders(settings)
        self.started = False

    # --- lifecycle -------------------------------------------------------------------------

    async def startup(self) -> None:
        """Open a connection pool per upstream (the lifespan does this; idempotent).

        The pool waits for a free connection as long as the other requests' reads may take: it
        has no timeout of its own. Bodies and headers are relayed as they are (no decompression,
        no Accept / User-Agent / Content-Type the client did not send).
        """
        s = self._settings
        for upstream in self._upstreams.values():
            if upstream.pool is None:
                upstream.pool = UpstreamPool(
                    upstream.host,
                    upstream.port,
                    limit=s.upstream_pool_size,
                    connect_timeout=s.upstream_connect_timeout,
                    read_timeout=s.upstream_read_timeout,
                    keepalive_seconds=s.upstream_keepalive_seconds,
                    small_body=_SMALL_BODY,
                    ssl=ssl.create_default_context() if upstream.tls else None,
                )
        self.started = True

    async def aclose(self) -> None:
        """Close every upstream pool and its idle connections (idempotent)."""
        self.started = False
        for upstream in self._upstreams.values():
            pool, upstream.pool = upstream.pool, None
            if pool is not None:
                await pool.aclose()

    async def _pool(self, upstream: _Upstream) -> UpstreamPool:
        pool = upstream.pool
        if pool is None:
            await self.startup()
            pool = upstream.pool
            assert pool is not None
        return pool

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def lifespan_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
            return message

        async def lifespan_send(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.startup.failed"):
                await self.aclose()
            await send(message)

        try:
            await self.app(scope, lifespan_receive, lifespan_send)
        finally:
            await self.aclose()

    # --- dispatch ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if await self._edge.preflight(scope, send):
                return
            send = self._edge.wrap(scope, send)
            path: str = scope["path"]
            if path.startswith("/api/"):
                slash = path.find("/", 5)
                if slash > 5:
                    upstream = self._upstreams.get(path[5:slash])
                    if upstream is not None:
                        await self._proxy(upstream, path[slash + 1 :], scope, receive, send)
                        return
        elif kind == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _proxy(
        self, upstream: _Upstream, rest: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        method: str = scope["method"]

        # One pass over the request headers: what we need, and what we forward.
        forward: list[tuple[bytes, bytes]] = []
        authorization: bytes | None = None
        request_id: bytes | None = None
        traceparent: bytes | None = None
        host: bytes | None = None
        connection: bytes | None = None
        forwarded_for: bytes | None = None
        content_length = -1
        has_body = False
        for name, value in scope["headers"]:
            if name in _REQUEST_DROP or name.startswith(b"proxy-"):
                if name == b"host":
                    host = value
                elif name == b"content-length":
                    has_body = True
                    content_length = int(value) if value.isdigit() else -1
                elif name == b"transfer-encoding":
                    has_body = True
                elif name == b"connection":
                    connection = value
                continue
            if name == b"authorization":
                authorization = value
            elif name == b"x-request-id":
                request_id = value
                continue
            elif name == b"traceparent":
                traceparent = value
                continue
            elif name == b"x-forwarded-for":
                forwarded_for = value
                continue
            forward.append((name, value))
        if connection is not None:
            named = _connection_tokens(connection)
            forward = [item for item in forward if item[0] not in named]

        # Trace context and request id: propagate valid ones, else generate.
        trace_id = _trace_id(traceparent) if traceparent is not None else None
        if trace_id is None or traceparent is None:
            random = os.urandom(24).hex().encode()
            trace_id = random[:32]
            traceparent = b"00-" + trace_id + b"-" + random[32:] + b"-00"
        if request_id is not None and _REQUEST_ID.fullmatch(request_id):
            rid = request_id
        else:
            rid = trace_id

        client = scope.get("client")
        client_addr = client[0] if client else "unknown"

        if ("/." in rest or rest.startswith(".")) and _has_dot_segment(rest):
            await self._problem(
                send, upstream, 400, "bad-request", "Bad request",
                "Dot segments are not allowed in the path.", rid,
            )  # fmt: skip
            return

        # Services' internal endpoints (e.g. DILANDACINTA's identity match) are for the platform's
        # own calls between processes, never reachable from outside through the door.
        if rest.lstrip("/").partition("/")[0] == _INTERNAL_SEGMENT:
            await self._problem(
                send, upstream, 404, "not-found", "Not found",
                "There is no such resource.", rid,
            )  # fmt: skip
            return

        # Authentication at the door (services verify again).
        is_openapi = rest == _OPENAPI and method in _ANONYMOUS_METHODS
        anonymous_ok = is_openapi or rest.startswith(_PUBLIC_PREFIX)
        subject = None
        if authorization is not None:
            scheme, _, token_bytes = authorization.partition(b" ")
            token = token_bytes.strip().decode("latin-1")
            if scheme.lower() == b"bearer" and token:
                principal = self._verifier.cached(token)
                if principal is None:
                    try:
                        principal = await self._verifier.verify(token)
                    except ProblemError as exc:
                        if not anonymous_ok:
                            await self._refuse_token(send, upstream, exc, client_addr, rid)
                            return
                if principal is not None:
                    subject = principal.sub
        if subject is None and not anonymous_ok:
            await self._problem(
                send, upstream, 401, "unauthorized", "Authentication required",
                "A bearer access token is required.", rid,
                [(b"www-authenticate", _WWW_AUTHENTICATE)],
            )  # fmt: skip
            return

        # Rate limit per caller.
        rate_headers: list[tuple[bytes, bytes]] = []
        limiter = self._limiter
        if limiter is not None:
            wait, remaining = limiter.acquire(
                "sub:" + subject if subject is not None else "addr:" + client_addr
            )
            if wait:
                await self._too_many(send, upstream, wait, rid)
                return
            rate_headers = [
                (b"ratelimit-limit", self._rate_limit_header),
                (b"ratelimit-remaining", str(remaining).encode()),
            ]

        if content_length > self._max_body:
            await self._too_large(send, upstream, rid)
            return

        if is_openapi:
            await self._openapi(upstream, method, send, rid, rate_headers)
            return

        breaker = upstream.breaker
        wait = breaker.retry_after()
        if wait:
            status, code, title, detail, extra = _breaker_open(upstream, wait)
            await self._problem(send, upstream, status, code, title, detail, rid, extra)
            return

        # Where to: the raw (still percent-encoded) path after /api/<agency>, and the query.
        raw_path: bytes | None = scope.get("raw_path")
        if raw_path is not None and raw_path.startswith(upstream.raw_prefix):
            target = upstream.base_path + raw_path[len(upstream.raw_prefix) - 1 :]
        else:
            target = upstream.base_path + b"/" + quote(rest, safe=_PATH_SAFE).encode("ascii")
        query: bytes = scope.get("query_string", b"")
        if query:
            target += b"?" + query
        if not _TARGET.fullmatch(target):  # nothing that could split the request line
            await self._problem(
                send, upstream, 400, "bad-request", "Bad request",
                "The request target is not valid.", rid,
            )  # fmt: skip
            return

        peer = client_addr.encode("latin-1")
        forward += (
            (b"x-request-id", rid),
            (b"traceparent", traceparent),
            (b"x-forwarded-for", forwarded_for + b", " + peer if forwarded_for else peer),
            (b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")),
        )
        if host is not None:
            forward.append((b"x-forwarded-host", host))

        # The request body: small ones whole, others streamed and counted.
        body: bytes | _RequestBody | None = None
        if has_body:
            message = await receive()
            if message["type"] != "http.request":
                breaker.abandon()
                return
            first: bytes = message.get("body", b"")
            if len(first) > self._max_body:
                breaker.abandon()
                await self._too_large(send, upstream, rid)
                return
            if message.get("more_body", False):
                body = _RequestBody(first, receive, self._max_body)
            else:
                body = first

        pool = upstream.pool or await self._pool(upstream)
        verdict = False
        try:
            try:
                response = await pool.request(method.encode("ascii"), target, forward, body)
            except (_BodyTooLarge, _ClientGone):
                if isinstance(body, _RequestBody) and body.too_large:
                    await self._too_large(send, upstream, rid)
                return
            except UpstreamError as exc:
                verdict = True
                breaker.failure()
                await self._upstream_error(send, upstream, exc, rid)
                return

            status = response.status
            verdict = True
            if status in _UPSTREAM_FAILURE_STATUSES:
                breaker.failure()
            else:
                breaker.success()
            headers = []
            connection = None
            for item in response.headers:  # names are lower-case
                name = item[0]
                if name in _RESPONSE_DROP or name.startswith(b"proxy-"):
                    if name == b"connection":
                        connection = item[1]
                    continue
                headers.append(item)
            if connection is not None:
                named = _connection_tokens(connection)
                headers = [item for item in headers if item[0] not in named]
            headers.append((b"x-request-id", rid))
            if rate_headers:
                headers += rate_headers
            self._count(upstream.agency, status)

            if response.complete:  # small bodies (and none) came whole with the headers
                data = response.body
                response.release()
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": data})
                return

            await send({"type": "http.response.start", "status": status, "headers": headers})
            await self._stream_response(response, receive, send, body, upstream, rid)
        finally:
            if not verdict:
                breaker.abandon()

    async def _stream_response(
        self,
        response: UpstreamResponse,
        receive: Receive,
        send: Send,
        body: bytes | _RequestBody | None,
        upstream: _Upstream,
        rid: bytes,
    ) -> None:
        # Notice a client that goes away (the server drops our sends silently then), but only once
        # the request body is fully read: until then, `receive` belongs to the body stream.
        watcher: asyncio.Task[None] | None = None
        if not isinstance(body, _RequestBody) or body.complete:
            watcher = asyncio.ensure_future(_disconnected(receive))
        try:
            async for chunk in response.iter_chunks():
                if watcher is not None and watcher.done():
                    response.close()
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except UpstreamError as exc:
            # Headers are out: all we can do is end the response incomplete, so the client can tell.
            response.close()
            logger.warning(
                "upstream %s failed mid-response: %s",
                upstream.agency,
                type(exc).__name__,
                extra={"request_id": rid.decode("latin-1"), "agency": upstream.agency},
            )
            return
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()
        response.release()
        await send({"type": "http.response.body", "body": b""})

    # --- OpenAPI through the gateway ---------------------------------------------------------

    async def _openapi(
        self,
        upstream: _Upstream,
        method: str,
        send: Send,
        rid: bytes,
        rate_headers: list[tuple[bytes, bytes]],
    ) -> None:
        """The upstream's /openapi.json with ``servers`` pointing at the gateway, cached briefly."""
        if upstream.openapi_expires <= time.monotonic():
            async with upstream.openapi_lock:
                if upstream.openapi_expires <= time.monotonic():
                    failure = await self._fetch_openapi(upstream, rid)
                    # A stale copy is better than an error.
                    if failure is not None and upstream.openapi_body is None:
                        status, code, title, detail, extra = failure
                        await self._problem(send, upstream, status, code, title, detail, rid, extra)
                        return
        body = upstream.openapi_body
        assert body is not None
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", f"public, max-age={int(self._openapi_ttl)}".encode()),
            (b"x-request-id", rid),
            *rate_headers,
        ]
        self._count(upstream.agency, 200)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    async def _fetch_openapi(self, upstream: _Upstream, rid: bytes) -> _Failure | None:
        """Refresh the cached document; on failure, what to answer (if there is no stale copy)."""
        breaker = upstream.breaker
        wait = breaker.retry_after()
        if wait:
            return _breaker_open(upstream, wait)
        pool = upstream.pool or await self._pool(upstream)
        verdict = False
        try:
            try:
                response = await pool.request(
                    b"GET",
                    upstream.base_path + b"/openapi.json",
                    [(b"accept", b"application/json"), (b"x-request-id", rid)],
                )
                try:
                    raw = await response.read()
                finally:
                    response.release()
                status = response.status
                encoding = dict(response.headers).get(b"content-encoding", b"identity")
            except UpstreamError as exc:
                verdict = True
                breaker.failure()
                _log_upstream_error(upstream, exc, rid)
                return _classify(upstream, exc)
            verdict = True
            if status in _UPSTREAM_FAILURE_STATUSES:
                breaker.failure()
            else:
                breaker.success()
            document = None
            if status == 200 and encoding == b"identity":
                try:
                    document = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    document = None
            if not isinstance(document, dict):
                detail = f"The {upstream.agency} service did not return its OpenAPI document (status {status})."
                return 502, "bad-gateway", "Bad gateway", detail, []
            document["servers"] = [{"url": upstream.servers_url}]
            upstream.openapi_body = orjson.dumps(document)
            upstream.openapi_expires = time.monotonic() + self._openapi_ttl
            return None
        finally:
            if not verdict:
                breaker.abandon()

    # --- refusals ----------------------------------------------------------------------------

    def _count(self, agency: str, status: int) -> None:
        key = (agency, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = PROXY_RESPONSES.labels(agency, str(status))
        counter.inc()

    async def _problem(
        self,
        send: Send,
        upstream: _Upstream,
        status: int,
        code: str,
        title: str,
        detail: str,
        rid: bytes,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        body = problem_body(status=status, title=title, code=code, detail=detail)
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", rid),
        ]
        if extra_headers:
            headers += extra_headers
        self._count(upstream.agency, status)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _refuse_token(
        self, send: Send, upstream: _Upstream, exc: ProblemError, client_addr: str, rid: bytes
    ) -> None:
        if exc.status != 401:
            await self._problem(send, upstream, 503, exc.code, exc.title, str(exc), rid)
            return
        # Failed verifications cost CPU: they count against the caller's address.
        if self._limiter is not None:
            wait, _ = self._limiter.acquire("addr:" + client_addr)
            if wait:
                await self._too_many(send, upstream, wait, rid)
                return
        await self._problem(
            send, upstream, 401, exc.code, exc.title, str(exc), rid,
            [(b"www-authenticate", _WWW_AUTHENTICATE_INVALID)],
        )  # fmt: skip

    async def _too_many(self, send: Send, upstream: _Upstream, wait: float, rid: bytes) -> None:
        retry = str(max(1, math.ceil(wait))).encode()
        await self._problem(
            send, upstream, 429, "rate-limited", "Too many requests",
            "Too many requests from this client; retry later.", rid,
            [
                (b"retry-after", retry),
                (b"ratelimit-limit", self._rate_limit_header),
                (b"ratelimit-remaining", b"0"),
                (b"ratelimit-reset", retry),
            ],
        )  # fmt: skip

    async def _too_large(self, send: Send, upstream: _Upstream, rid: bytes) -> None:
        await self._problem(
            send, upstream, 413, "payload-too-large", "Request body too large",
            f"The request body exceeds {self._max_body} bytes.", rid,
            [(b"connection", b"close")],
        )  # fmt: skip

    async def _upstream_error(
        self, send: Send, upstream: _Upstream, exc: BaseException, rid: bytes
    ) -> None:
        _log_upstream_error(upstream, exc, rid)
        status, code, title, detail, extra = _classify(upstream, exc)
        await self._problem(send, upstream, status, code, title, detail, rid, extra)


# (status, problem code, title, detail, extra headers)
_Failure = tuple[int, str, str, str, list[tuple[bytes, bytes]]]


def _classify(upstream: _Upstream, exc: BaseException) -> _Failure:
    """What an upstream failure means for the client: 503 unreachable, 504 too slow, 502 broken."""
    agency = upstream.agency
    if isinstance(exc, UpstreamConnectError):
        detail = f"The {agency} service cannot be reached."
        return 503, "upstream-unavailable", "Service temporarily unavailable", detail, []
    if isinstance(exc, TimeoutError):
        detail = f"The {agency} service did not answer in time."
        return 504, "upstream-timeout", "Gateway timeout", detail, []
    return 502, "bad-gateway", "Bad gateway", f"The {agency} service sent no valid response.", []


def _breaker_open(upstream: _Upstream, wait: float) -> _Failure:
    detail = (
        f"The {upstream.agency} service is failing; the gateway stopped calling it for a while."
    )
    retry = [(b"retry-after", str(max(1, math.ceil(wait))).encode())]
    return 503, "upstream-unavailable", "Service temporarily unavailable", detail, retry


def _log_upstream_error(upstream: _Upstream, exc: BaseException, rid: bytes) -> None:
    logger.warning(
        "upstream %s failed: %s",
        upstream.agency,
        type(exc).__name__,
        extra={"request_id": rid.decode("latin-1"), "agency": upstream.agency},
    )


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone away (the rest of its request body, if any, is dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _connection_tokens(value: bytes) -> frozenset[bytes]:
    """The header names a Connection header lists (they are hop-by-hop too)."""
    return frozenset(token.strip().lower() for token in value.split(b",") if token.strip())


def _trace_id(traceparent: bytes) -> bytes | None:
    """The trace id of a valid W3C ``traceparent``, else None (then the trace restarts)."""
    if traceparent.startswith(b"00-"):
        match = _TRACEPARENT_00.fullmatch(traceparent)
    else:
        match = _TRACEPARENT_LATER.match(traceparent)
    if match is None:
        return None
    trace_id, parent_id = match.group(1), match.group(2)
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id


def _has_dot_segment(rest: str) -> bool:
    return any(segment in (".", "..") for segment in rest.split("/"))
