"""Minimal proxies for the front-door lab (bench/p1_frontdoor_lab.py), one per upstream client.

Each is a plain ASGI app that forwards ``GET``/``POST`` to ``BENCH_UPSTREAM_PORT`` on 127.0.0.1
and relays the answer: no auth, no routing, no logging. They isolate the cost of the HTTP client
the gateway could use; the gateway itself is measured beside them.
"""

from __future__ import annotations

import os
from typing import Any

import aiohttp
from starlette.types import Receive, Scope, Send
from yarl import URL

from cimahi_gateway.routing.upstream import UpstreamPool

PORT = int(os.environ.get("BENCH_UPSTREAM_PORT", "0"))
_DROP = frozenset((b"host", b"connection", b"content-length", b"transfer-encoding"))
_DROP_RESPONSE = frozenset((b"connection", b"transfer-encoding", b"date", b"server"))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _body(scope: Scope, receive: Receive) -> bytes | None:
    if scope["method"] not in ("POST", "PUT", "PATCH"):
        return None
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def make_aiohttp() -> Any:
    """The proxy on one shared aiohttp ClientSession (tuned as the gateway used it)."""
    session: aiohttp.ClientSession | None = None
    base = f"http://127.0.0.1:{PORT}"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal session
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if session is None:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200, limit_per_host=0),
                auto_decompress=False,
                skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
            )
        headers = [
            (n.decode("latin-1"), v.decode("latin-1"))
            for n, v in scope["headers"]
            if n not in _DROP
        ]
        body = await _body(scope, receive)
        async with session.request(
            scope["method"], URL(base + scope["path"], encoded=True), headers=headers, data=body
        ) as response:
            data = await response.read()
            out = [
                (n.lower(), v) for n, v in response.raw_headers if n.lower() not in _DROP_RESPONSE
            ]
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            await send({"type": "http.response.body", "body": data})

    return app


def make_pool() -> Any:
    """The proxy on the gateway's own keep-alive pool (cimahi_gateway.routing.upstream)."""
    pool = UpstreamPool("127.0.0.1", PORT, limit=200)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        headers = [(n, v) for n, v in scope["headers"] if n not in _DROP]
        body = await _body(scope, receive)
        response = await pool.request(scope["method"].encode(), scope["raw_path"], headers, body)
        data = await response.read()
        response.release()
        out = [(n, v) for n, v in response.headers if n not in _DROP_RESPONSE]
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": data})

    return app
