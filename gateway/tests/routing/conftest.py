"""Fixtures of the proxy tests: a real upstream and real gateways, each under uvicorn on loopback."""

from __future__ import annotations

import asyncio
import collections
import gzip
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx
import jwt
import orjson
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from starlette.types import Message, Receive, Scope, Send

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.routing.proxy import ProxyDispatcher
from cimahi_shared.app import build_runtime
from cimahi_shared.testing.processes import free_port

ISSUER = "http://127.0.0.1:8000"
KID = "routing-test-key"
SIGNING_KEY = Ed25519PrivateKey.generate()
JWKS = {
    "keys": [
        {
            **OKPAlgorithm.to_jwk(SIGNING_KEY.public_key(), as_dict=True),
            "kid": KID,
            "use": "sig",
            "alg": "EdDSA",
        }
    ]
}
OPENAPI_DOC = {
    "openapi": "3.1.0",
    "info": {"title": "LAKAMI", "version": "1.0.0"},
    "servers": [{"url": "http://10.0.0.7:8101"}],
    "paths": {"/v1/public/letter-types": {"get": {"responses": {"200": {"description": "ok"}}}}},
}
GZIPPED_TEXT = b"compressed on purpose " * 100


def make_token(
    sub: str = "citizen-a",
    *,
    key: Ed25519PrivateKey = SIGNING_KEY,
    expires_in: int = 600,
    audience: str = "cimahi-api",
    issuer: str = ISSUER,
) -> str:
    """An access token as the gateway's identity service would issue it."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "role": "citizen",
        "typ": "access",
        "iat": now - 5,
        "exp": now + expires_in,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": KID})


def auth(sub: str = "citizen-a") -> dict[str, str]:
    """Authorization header with a fresh valid token."""
    return {"Authorization": f"Bearer {make_token(sub)}"}


TokenFactory = Callable[..., str]
AuthFactory = Callable[..., dict[str, str]]


@pytest.fixture(name="make_token")
def make_token_fixture() -> TokenFactory:
    """Sign access tokens: ``make_token(sub, key=..., expires_in=..., audience=..., issuer=...)``."""
    return make_token


@pytest.fixture(name="auth")
def auth_fixture() -> AuthFactory:
    """``auth(sub)``: an Authorization header with a fresh valid token."""
    return auth


# --- the upstream: a plain ASGI app that shows what it received ------------------------------


@dataclass
class UpstreamState:
    """What the upstream saw, and the switches tests flip (shared across threads)."""

    hits: collections.Counter[str] = field(default_factory=collections.Counter)
    gate: threading.Event = field(default_factory=threading.Event)
    first_chunk_seen: threading.Event = field(default_factory=threading.Event)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = b"application/json",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def make_upstream(state: UpstreamState) -> Callable[[Scope, Receive, Send], Any]:
    """The upstream service of the tests."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        state.hits[path] += 1
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            await _read_body(receive)
            if code in (204, 304):
                await send({"type": "http.response.start", "status": code, "headers": []})
                await send({"type": "http.response.body", "body": b""})
            else:
                await _respond(send, code, orjson.dumps({"upstream_status": code}))
        elif path.startswith("/sleep/"):
            await asyncio.sleep(float(path.rsplit("/", 1)[1]))
            await _respond(send, 200, b'{"slept": true}')
        elif path.startswith("/big/"):
            size = int(path.rsplit("/", 1)[1])
            await send({"type": "http.response.start", "status": 200, "headers": []})
            block = bytes(range(256)) * 256
            sent = 0
            while sent < size:
                chunk = block[: min(len(block), size - sent)]
                sent += len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/gated":
            # First chunk, then nothing until the test has seen it through the gateway.
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"first;", "more_body": True})
            released = await asyncio.to_thread(state.gate.wait, 10)
            await send({"type": "http.response.body", "body": b"second" if released else b"late"})
        elif path == "/upload-gated":
            message = await receive()
            state.first_chunk_seen.set()
            rest = await _read_body(receive)
            total = len(message.get("body", b"")) + len(rest)
            await _respond(send, 200, orjson.dumps({"received": total}))
        elif path.startswith("/truncated/"):
            # Promise a body, send part of it, then drop the connection.
            declared = path.rsplit("/", 1)[1] == "declared"
            headers = [(b"content-length", b"1000")] if declared else []
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        elif path == "/hop":
            await _read_body(receive)
            await _respond(
                send,
                200,
                b"{}",
                [
                    (b"connection", b"x-up-private"),
                    (b"x-up-private", b"secret"),
                    (b"keep-alive", b"timeout=99"),
                    (b"proxy-authenticate", b"Basic"),
                    (b"x-up-public", b"kept"),
                ],
            )
        elif path == "/redirect":
            await _respond(send, 302, b"", [(b"location", b"/elsewhere")])
        elif path == "/gzip":
            await _respond(
                send,
                200,
                gzip.compress(GZIPPED_TEXT),
                [(b"content-encoding", b"gzip")],
                content_type=b"text/plain",
            )
        elif path == "/openapi.json":
            await _respond(send, 200, orjson.dumps(OPENAPI_DOC))
        else:  # echo
            body = await _read_body(receive)
            echoed = {
                "method": scope["method"],
                "path": path,
                "raw_path": scope["raw_path"].decode("latin-1"),
                "query": scope["query_string"].decode("latin-1"),
                "headers": [
                    [k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]
                ],
                "body": body.decode("latin-1"),
            }
            await _respond(send, 200, orjson.dumps(echoed), [(b"x-upstream", b"echo")])

    return app


# --- servers in threads --------------------------------------------------------------------


class ServerThread:
    """A uvicorn server on a free loopback port, in a thread with its own event loop."""

    def __init__(self, app: Any, *, lifespan: Literal["on", "off"] = "off") -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            lifespan=lifespan,
            log_level="critical",
            access_log=False,
            ws="none",
            http="httptools",
            # The gateway is the edge here: X-Forwarded-For from clients is data, not trusted.
            proxy_headers=False,
            loop="asyncio",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass
class Upstream:
    url: str
    state: UpstreamState
    openapi_doc: ClassVar[dict[str, Any]] = OPENAPI_DOC
    gzipped_text: ClassVar[bytes] = GZIPPED_TEXT


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    """The real upstream service, for the whole module."""
    state = UpstreamState()
    server = ServerThread(make_upstream(state)).start()
    yield Upstream(server.url, state)
    state.gate.set()
    server.stop()


# --- the gateway ---------------------------------------------------------------------------


class InnerApp:
    """Stands in for the gateway's own FastAPI app: answers everything, records its lifespan."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.dispatcher: ProxyDispatcher | None = None
        self.session_open_at_startup: bool | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message: Message = await receive()
                if message["type"] == "lifespan.startup":
                    self.events.append("startup")
                    if self.dispatcher is not None:
                        self.session_open_at_startup = self.dispatcher.started
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await _read_body(receive)
        await _respond(send, 200, orjson.dumps({"inner": True, "path": scope["path"]}))


@dataclass
class Gateway:
    url: str
    dispatcher: ProxyDispatcher
    inner: InnerApp
    server: ServerThread

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, trust_env=False, timeout=15)


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
def gateway_factory(tmp_path: Path, upstream: Upstream) -> Iterator[GatewayFactory]:
    """Start gateways (ProxyDispatcher around an inner app, under uvicorn) with given settings."""
    started: list[Gateway] = []

    def start(*, install_keys: bool = True, **overrides: Any) -> Gateway:
        values: dict[str, Any] = {
            # Nothing listens there: the verifier can only use the keys installed below.
            "jwks_url": f"http://127.0.0.1:{free_port()}/.well-known/jwks.json",
            "database_url": f"sqlite+aiosqlite:///{tmp_path / f'gateway{len(started)}.sqlite3'}",
            "nats_enabled": False,
            "token_issuer": ISSUER,
            "upstreams": {
                "lakami": upstream.url,
                "epbb": upstream.url,
                "down": f"http://127.0.0.1:{free_port()}",
            },
            "upstream_read_timeout": 1.0,
            "rate_limit_per_minute": 600_000,
            "rate_limit_burst": 100_000,
            "max_body_bytes": 64 * 1024 * 1024,
        }
        values.update(overrides)
        settings = GatewaySettings(**values)
        runtime = build_runtime(settings, agency=None)
        if install_keys:
            runtime.verifier.set_local_keys(ISSUER, JWKS)
        inner = InnerApp()
        dispatcher = ProxyDispatcher(inner, settings=settings, runtime=runtime)
        inner.dispatcher = dispatcher
        server = ServerThread(dispatcher, lifespan="on").start()
        gateway = Gateway(server.url, dispatcher, inner, server)
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.server.stop()


@pytest.fixture
def gateway(gateway_factory: GatewayFactory) -> Gateway:
    """A gateway with generous limits (rate limits and breaker out of the way)."""
    return gateway_factory()


@pytest.fixture
def client(gateway: Gateway) -> Iterator[httpx.Client]:
    with gateway.client() as c:
        yield c
