"""The proxy's upstream connection pool against a raw HTTP/1.1 server on loopback.

The server is scripted per test (it sees the raw request bytes and writes raw answers), so the
pool meets what real upstreams do: keep-alive and close, chunked and close-delimited bodies,
early answers, interim responses, dead idle connections, slow and broken answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from cimahi_gateway.routing.upstream import (
    UpstreamConnectError,
    UpstreamPool,
    UpstreamProtocolError,
    UpstreamTimeout,
)
from cimahi_shared.testing.processes import free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A loopback TCP server running ``handler`` per connection; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> RawServer:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            self._tasks.append(asyncio.current_task())  # type: ignore[arg-type]
            try:
                with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                    await self.handler(reader, writer)
            finally:
                writer.close()

        self._server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        """One request: the head, and a Content-Length or chunked body."""
        head = await reader.readuntil(b"\r\n\r\n")
        body = b""
        lowered = head.lower()
        if b"content-length:" in lowered:
            length = int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
        elif b"transfer-encoding: chunked" in lowered:
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        self.requests.append(head + body)
        return head + body


def ok(body: bytes = b"hello", *extra: bytes) -> bytes:
    headers = b"".join(h + b"\r\n" for h in extra)
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%b\r\n%b" % (len(body), headers, body)


def pool_for(server: RawServer, **kwargs: float | int) -> UpstreamPool:
    return UpstreamPool("127.0.0.1", server.port, **kwargs)  # type: ignore[arg-type]


async def keep_alive(
    server: RawServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while True:
        await server.read_request(reader)
        writer.write(ok())
        await writer.drain()


async def test_connections_are_reused_across_requests() -> None:
    async with RawServer(lambda r, w: keep_alive(server, r, w)) as server:
        pool = pool_for(server)
        for _ in range(5):
            response = await pool.request(b"GET", b"/x?a=1", [(b"x-test", b"1")])
            assert (response.status, response.complete, response.body) == (200, True, b"hello")
            response.release()
        assert server.connections == 1
        assert server.requests[0].startswith(b"GET /x?a=1 HTTP/1.1\r\nhost: 127.0.0.1:")
        assert b"x-test: 1\r\n" in server.requests[0]
        await pool.aclose()


async def test_bodies_are_sent_with_their_length() -> None:
    async with RawServer(lambda r, w: keep_alive(server, r, w)) as server:
        pool = pool_for(server)
        response = await pool.request(b"POST", b"/", [], b'{"a": 1}')
        response.release()
        empty = await pool.request(b"POST", b"/", [], b"")
        empty.release()
        assert server.requests[0].endswith(b'content-length: 8\r\n\r\n{"a": 1}')
        assert server.requests[1].endswith(b"content-length: 0\r\n\r\n")
        await pool.aclose()


async def test_streamed_request_bodies_are_chunked() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"one,", b"", b"two,", b"three"):
            yield part

    async with RawServer(lambda r, w: keep_alive(server, r, w)) as server:
        pool = pool_for(server)
        response = await pool.request(b"PUT", b"/upload", [], chunks())
        assert response.status == 200
        response.release()
        assert server.requests[0].endswith(b"one,two,three")
        # The connection is still usable afterwards.
        again = await pool.request(b"GET", b"/", [])
        again.release()
        assert server.connections == 1
        await pool.aclose()


async def test_large_and_chunked_responses_are_streamed_in_order() -> None:
    big = bytes(range(256)) * 2048  # 512 KiB: above the small-body limit and the read buffer

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(ok(big))
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for part in (b"ab", b"cd"):
            writer.write(b"%x\r\n%b\r\n" % (len(part), part))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with RawServer(handler) as server:
        pool = pool_for(server)
        first = await pool.request(b"GET", b"/big", [])
        assert not first.complete
        assert await first.read() == big
        first.release()
        second = await pool.request(b"GET", b"/chunked", [])
        assert [c async for c in second.iter_chunks()] in ([b"ab", b"cd"], [b"abcd"])
        second.release()
        assert server.connections == 1
        await pool.aclose()


async def test_close_delimited_response_ends_with_the_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end")
        await writer.drain()

    async with RawServer(handler) as server:
        pool = pool_for(server)
        response = await pool.request(b"GET", b"/", [])
        assert await response.read() == b"until the end"
        response.release()
        assert pool.open_connections == 0
        await pool.aclose()


async def test_connection_close_is_honoured() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(ok(b"bye", b"connection: close"))
        await writer.drain()

    async with RawServer(handler) as server:
        pool = pool_for(server)
        for _ in range(2):
            response = await pool.request(b"GET", b"/", [])
            assert response.body == b"bye"
            response.release()
        assert server.connections == 2
        await pool.aclose()


async def test_head_answers_have_no_body() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n")
        await writer.drain()
        await reader.read()

    async with RawServer(handler) as server:
        pool = pool_for(server)
        response = await asyncio.wait_for(pool.request(b"HEAD", b"/", []), 5)
        assert (response.status, response.complete, response.body) == (200, True, b"")
        assert (b"content-length", b"1234") in response.headers
        response.release()
        await pool.aclose()


async def test_interim_responses_are_skipped() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n" + ok(b"final"))
        await writer.drain()
        await reader.read()

    async with RawServer(handler) as server:
        pool = pool_for(server)
        response = await pool.request(b"GET", b"/", [])
        assert (response.status, response.body) == (200, b"final")
        assert all(name != b"link" for name, _ in response.headers)
        response.release()
        await pool.aclose()


async def test_a_dead_idle_connection_is_retried_for_safe_methods_only() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Answers one request, then closes without saying so (a keep-alive timeout race).
        await server.read_request(reader)
        writer.write(ok())
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")

    async with RawServer(handler) as server:
        pool = pool_for(server)
        (await pool.request(b"GET", b"/", [])).release()
        # The next GET goes out on the reused connection, which the server then drops unanswered.
        response = await pool.request(b"GET", b"/", [])
        assert response.status == 200
        response.release()
        assert server.connections == 2
        with pytest.raises(UpstreamProtocolError):
            await pool.request(b"POST", b"/", [], b"{}")
        await pool.aclose()


async def test_the_limit_queues_callers() -> None:
    release = asyncio.Event()
    in_flight = 0
    most = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal in_flight, most
        while True:
            await server.read_request(reader)
            in_flight += 1
            most = max(most, in_flight)
            await release.wait()
            in_flight -= 1
            writer.write(ok())
            await writer.drain()

    async with RawServer(handler) as server:
        pool = pool_for(server, limit=2)

        async def one() -> int:
            response = await pool.request(b"GET", b"/", [])
            response.release()
            return response.status

        tasks = [asyncio.ensure_future(one()) for _ in range(6)]
        await asyncio.sleep(0.2)
        assert most == 2
        release.set()
        assert await asyncio.gather(*tasks) == [200] * 6
        assert server.connections == 2
        await pool.aclose()


async def test_unreachable_upstream_is_a_connect_error() -> None:
    pool = UpstreamPool("127.0.0.1", free_port(), connect_timeout=2)
    with pytest.raises(UpstreamConnectError):
        await pool.request(b"GET", b"/", [])
    await pool.aclose()


async def test_silence_is_a_timeout_and_the_connection_is_dropped() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nstart")
        await writer.drain()
        await reader.read()

    async with RawServer(handler) as server:
        pool = pool_for(server, read_timeout=0.3)
        response = await pool.request(b"GET", b"/", [])
        assert response.status == 200
        with pytest.raises(UpstreamTimeout):
            await response.read()
        response.release()
        assert pool.open_connections == 0
        await pool.aclose()


async def test_garbage_and_broken_answers_are_protocol_errors() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()

    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\nonly this")
        await writer.drain()

    async with RawServer(garbage) as server:
        pool = pool_for(server)
        with pytest.raises(UpstreamProtocolError):
            await pool.request(b"GET", b"/", [])
        await pool.aclose()
    async with RawServer(broken) as server:
        pool = pool_for(server)
        response = await pool.request(b"GET", b"/", [])
        with pytest.raises(UpstreamProtocolError):
            await response.read()
        response.release()
        await pool.aclose()


async def test_an_early_answer_stops_the_upload_and_the_connection_is_not_reused() -> None:
    async def endless() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 65536
            await asyncio.sleep(0.001)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ok(b"too large", b"connection: close"))
        await writer.drain()
        with contextlib.suppress(ConnectionError):
            await asyncio.sleep(0.5)

    async with RawServer(handler) as server:
        pool = pool_for(server)
        response = await asyncio.wait_for(pool.request(b"POST", b"/", [], endless()), 5)
        assert response.body == b"too large"
        response.release()
        assert pool.open_connections == 0
        await pool.aclose()
