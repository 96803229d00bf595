"""The proxy's HTTP/1.1 client: a keep-alive connection pool per upstream, on asyncio + httptools.

Why not aiohttp or httpx here: measured on the 2-core bench machine (docs/performance.md), an
aiohttp ``ClientSession`` costs about 70 us of CPU per proxied request and httpx's default
transport ten times that; this pool costs about 10 us. It does only what a reverse proxy needs:

- one request at a time per connection (no pipelining); connections are reused while the upstream
  keeps them alive and dropped after ``keepalive_seconds`` idle (below the services' own timeout);
- at most ``limit`` connections; callers beyond it wait, first come first served;
- request bodies as bytes (``Content-Length``) or as an async iterator (chunked, with the
  transport's write flow control);
- responses parsed by httptools (llhttp); bodies up to ``small_body`` bytes arrive whole with the
  headers (one wake-up), larger or chunked ones are streamed with read flow control;
- TLS when given an ``ssl`` context (an ``https://`` upstream);
- ``connect_timeout`` for connecting and ``read_timeout`` between two reads (as a socket timeout);
- a request on a reused connection that the upstream closed before answering a single byte is
  retried once on a fresh connection, for methods that are safe to repeat and bodies that are bytes.

Errors are :class:`UpstreamConnectError` (cannot reach it), :class:`UpstreamTimeout` and
:class:`UpstreamProtocolError` (it broke off or sent something that is not HTTP).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ssl as ssl_module
from collections.abc import AsyncIterator
from typing import Final, cast

import httptools

__all__ = [
    "UpstreamConnectError",
    "UpstreamError",
    "UpstreamPool",
    "UpstreamProtocolError",
    "UpstreamResponse",
    "UpstreamTimeout",
]

_RETRYABLE_METHODS: Final = frozenset((b"GET", b"HEAD", b"OPTIONS", b"PUT", b"DELETE"))
_HIGH_WATER: Final = 262_144  # buffered response bytes before we stop reading from the upstream
_LOW_WATER: Final = 65_536


class UpstreamError(Exception):
    """The upstream did not deliver a response (or all of it)."""


class UpstreamConnectError(UpstreamError):
    """No connection could be made."""


class UpstreamTimeout(UpstreamError, TimeoutError):
    """Connecting took longer than ``connect_timeout`` or a read longer than ``read_timeout``."""


class UpstreamProtocolError(UpstreamError):
    """The connection broke off, or the upstream did not speak HTTP/1.1."""


class _StaleConnection(UpstreamProtocolError):
    """A reused connection closed before a single byte of the response came back."""


class UpstreamResponse:
    """A response: status and headers at once; the body whole (``complete``) or streamed."""

    __slots__ = ("_conn", "body", "complete", "headers", "status")

    def __init__(
        self, conn: _Connection, status: int, headers: list[tuple[bytes, bytes]], complete: bool
    ) -> None:
        self._conn: _Connection | None = conn
        self.status = status
        # Names lower-cased (as ASGI wants them), values as sent.
        self.headers = headers
        self.complete = complete
        self.body = b"".join(conn.body) if complete else b""
        if complete:
            conn.body.clear()

    async def read(self) -> bytes:
        """The whole body (reads the rest of a streamed one)."""
        if self.complete:
            return self.body
        parts = [chunk async for chunk in self.iter_chunks()]
        return b"".join(parts)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (for a complete response: the body in one chunk)."""
        if self.complete:
            if self.body:
                yield self.body
            return
        conn = self._conn
        if conn is None:
            return
        while True:
            chunk = await conn.next_chunk()
            if not chunk:
                self.complete = True
                return
            yield chunk

    def release(self) -> None:
        """Give the connection back to the pool (closed instead unless the response ended cleanly)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.pool.release(conn)

    def close(self) -> None:
        """Drop the connection (e.g. the client went away mid-stream)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            conn.pool.release(conn)


class _Connection(asyncio.Protocol):
    """One keep-alive connection to the upstream, and the state of its current exchange."""

    def __init__(self, pool: UpstreamPool) -> None:
        self.pool = pool
        self.loop = pool.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reused = False
        self.idle_since = 0.0
        # The current exchange.
        self.head_only = False
        self.waiter: asyncio.Future[UpstreamResponse] | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.streaming = False
        self.done = False
        self.received_any = False
        self.chunk_waiter: asyncio.Future[None] | None = None
        self.interim = False
        self.keep = True  # False: close after this exchange (e.g. the body was not fully sent)
        self.error: UpstreamError | None = None
        self.reading_paused = False
        self.write_paused: asyncio.Future[None] | None = None
        self.last_read = 0.0
        self.timer: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        self.last_read = self.loop.time()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(UpstreamProtocolError("the upstream sent an invalid HTTP response"))

    def eof_received(self) -> bool | None:
        return None  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.done:
            if self.streaming and self._delimited_by_close():
                # A response without length that is not chunked ends with the connection.
                self.done = True
                self._wake_reader()
            else:
                stale = self.reused and not self.received_any
                error = _StaleConnection if stale else UpstreamProtocolError
                self._fail(error("the upstream closed the connection"))
        if self.write_paused is not None and not self.write_paused.done():
            self.write_paused.set_result(None)

    def pause_writing(self) -> None:
        if self.write_paused is None or self.write_paused.done():
            self.write_paused = self.loop.create_future()

    def resume_writing(self) -> None:
        if self.write_paused is not None and not self.write_paused.done():
            self.write_paused.set_result(None)

    # --- httptools callbacks -------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # an interim response (103 Early Hints): wait for the final one
            self.headers = []
            self.interim = True
            return
        if self.head_only:
            # A HEAD answer has no body whatever its Content-Length says; the parser cannot know
            # that, so this connection is not reused.
            self.done = True
            self.close()
            self._deliver(complete=True)
            return
        length = self.headers_expected_length()
        if length is None or length > self.pool.small_body:
            self.streaming = True
            self._deliver(complete=False)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        if self.streaming:
            self.buffered += len(body)
            if self.buffered > _HIGH_WATER and not self.reading_paused and self.transport:
                self.reading_paused = True
                self.transport.pause_reading()
            self._wake_reader()

    def on_message_complete(self) -> None:
        if self.interim:
            self.interim = False
            return
        if self.done:
            return
        self.done = True
        if not self.parser.should_keep_alive():
            self.close()
        if self.streaming:
            self._wake_reader()
        else:
            self._deliver(complete=True)

    # --- the exchange ------------------------------------------------------------------------

    def _delimited_by_close(self) -> bool:
        for name, _value in self.headers:
            if name in (b"content-length", b"transfer-encoding"):
                return False
        return True

    def headers_expected_length(self) -> int | None:
        for name, value in self.headers:
            if name == b"content-length":
                return int(value) if value.isdigit() else None
        return None

    def start(self, head_only: bool) -> None:
        """Reset the exchange state; the caller writes the request next."""
        self.head_only = head_only
        self.interim = False
        self.keep = True
        self.headers = []
        self.body.clear()
        self.buffered = 0
        self.streaming = False
        self.done = False
        self.received_any = False
        self.error = None
        self.waiter = self.loop.create_future()
        self.last_read = self.loop.time()
        self._arm_timer()

    async def send_stream(self, head: bytes, chunks: AsyncIterator[bytes]) -> None:
        """Send a request whose body is an async iterator, chunked (the response may come early)."""
        transport = self.transport
        assert transport is not None
        transport.write(head)
        async for chunk in chunks:
            if self.closed:
                return
            if chunk:
                transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                if self.write_paused is not None and not self.write_paused.done():
                    await self.write_paused
        if not self.closed:
            transport.write(b"0\r\n\r\n")
        self.last_read = self.loop.time()

    async def next_chunk(self) -> bytes:
        """The next piece of a streamed body; b"" at its end. Raises when it broke off."""
        while True:
            if self.body:
                chunk = self.body.popleft()
                self.buffered -= len(chunk)
                if self.reading_paused and self.buffered < _LOW_WATER and self.transport:
                    self.reading_paused = False
                    self.transport.resume_reading()
                return chunk
            if self.done:
                self._disarm_timer()
                return b""
            if self.error is not None:
                raise self.error
            self.chunk_waiter = self.loop.create_future()
            await self.chunk_waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _deliver(self, *, complete: bool) -> None:
        if complete:
            self._disarm_timer()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(
                UpstreamResponse(self, self.parser.get_status_code(), self.headers, complete)
            )

    def _fail(self, error: UpstreamError) -> None:
        if self.error is not None:  # the first failure is the one that counts
            return
        self.error = error
        self._disarm_timer()
        self.close()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        self._wake_reader()

    def _wake_reader(self) -> None:
        waiter = self.chunk_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # The read timeout: one timer per exchange that re-arms itself while data keeps coming.
    def _arm_timer(self) -> None:
        self.timer = self.loop.call_at(self.last_read + self.pool.read_timeout, self._on_timer)

    def _disarm_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _on_timer(self) -> None:
        self.timer = None
        if self.done or self.error is not None:
            return
        deadline = self.last_read + self.pool.read_timeout
        if self.reading_paused or deadline > self.loop.time():
            # Still receiving (or the reader is slow, not the upstream): check again later.
            self.timer = self.loop.call_at(max(deadline, self.loop.time() + 0.01), self._on_timer)
            return
        self._fail(UpstreamTimeout("the upstream did not answer in time"))


class UpstreamPool:
    """Keep-alive HTTP/1.1 connections to one upstream (``http://host:port``; TLS with ``ssl``)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        limit: int = 100,
        connect_timeout: float = 2.0,
        read_timeout: float = 30.0,
        keepalive_seconds: float = 4.0,
        small_body: int = 65_536,
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.host_header = f"{host}:{port}".encode("ascii")
        self.limit = limit
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.keepalive_seconds = keepalive_seconds
        self.small_body = small_body
        self.ssl = ssl
        self._idle: collections.deque[_Connection] = collections.deque()
        self._busy = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    @property
    def open_connections(self) -> int:
        return self._busy + sum(1 for conn in self._idle if not conn.closed)

    async def request(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes] | None = None,
    ) -> UpstreamResponse:
        """Send a request (``target``: path and query, already encoded) and await its headers.

        ``headers`` must not contain Host, Content-Length or Transfer-Encoding: the pool sets them.
        The caller must ``release()`` (or ``close()``) the response once the body is read.
        """
        if self._closed:
            raise UpstreamConnectError("the pool is closed")
        lines = [method, b" ", target, b" HTTP/1.1\r\nhost: ", self.host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        streamed = body is not None and not isinstance(body, bytes)
        if streamed:
            lines.append(b"transfer-encoding: chunked\r\n\r\n")
        elif isinstance(body, bytes) and (body or method in (b"POST", b"PUT", b"PATCH")):
            lines.append(b"content-length: %d\r\n\r\n" % len(body))
        elif method in (b"POST", b"PUT", b"PATCH"):
            lines.append(b"content-length: 0\r\n\r\n")
        else:
            lines.append(b"\r\n")
        head = b"".join(lines)
        head_only = method == b"HEAD"
        retry = not streamed and method in _RETRYABLE_METHODS
        while True:
            conn = await self._acquire()
            try:
                conn.start(head_only)
                if streamed:
                    assert body is not None
                    assert not isinstance(body, bytes)
                    sender = asyncio.ensure_future(conn.send_stream(head, body))
                    return await self._await_with_sender(conn, sender)
                assert conn.transport is not None
                assert conn.waiter is not None
                conn.transport.write(head + body if isinstance(body, bytes) and body else head)
                return await conn.waiter
            except _StaleConnection:
                self.release(conn)
                if not retry:
                    raise UpstreamProtocolError("the upstream closed the connection") from None
                retry = False  # once, and the next connection is a fresh one
                self._drop_idle()
            except BaseException:
                conn.close()
                self.release(conn)
                raise

    async def _await_with_sender(
        self, conn: _Connection, sender: asyncio.Future[None]
    ) -> UpstreamResponse:
        waiter = conn.waiter
        assert waiter is not None
        try:
            await asyncio.wait((waiter, sender), return_when=asyncio.FIRST_COMPLETED)
            if not waiter.done():
                failure = sender.exception()
                if failure is not None:  # reading the client's body failed (too large, gone)
                    waiter.cancel()
                    raise failure
            return await waiter
        finally:
            if not sender.done():
                # The upstream answered (or failed) before the whole body was sent.
                conn.keep = False
                sender.cancel()
            elif not sender.cancelled():
                sender.exception()  # retrieved: no "never retrieved" warning

    async def _acquire(self) -> _Connection:
        loop = self.loop
        now = loop.time()
        idle = self._idle
        while idle:
            conn = idle.pop()  # the most recently used one is the most likely to be alive
            if conn.closed or now - conn.idle_since > self.keepalive_seconds:
                conn.close()
                continue
            conn.reused = True
            self._busy += 1
            return conn
        while self._busy + len(idle) >= self.limit:
            if idle:  # over the limit only because of idle ones: drop the oldest
                idle.popleft().close()
                continue
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
                raise
            if idle:
                return await self._acquire()
        self._busy += 1
        try:
            try:
                _, conn = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: _Connection(self), self.host, self.port, ssl=self.ssl
                    ),
                    self.connect_timeout,
                )
            except TimeoutError:
                # Not answering the connection at all is "unreachable", not "slow".
                raise UpstreamConnectError("connecting to the upstream timed out") from None
            except OSError as exc:
                raise UpstreamConnectError(f"cannot connect to the upstream: {exc}") from None
        except BaseException:
            self._busy -= 1
            self._wake_one()
            raise
        return conn

    def release(self, conn: _Connection) -> None:
        """Back to the pool after an exchange (closed unless it ended cleanly and keeps alive)."""
        self._busy -= 1
        if not conn.closed and conn.done and conn.keep and conn.error is None and not self._closed:
            conn.reused = True
            conn.idle_since = self.loop.time()
            conn.waiter = None
            conn.chunk_waiter = None
            self._idle.append(conn)
        else:
            conn.close()
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _drop_idle(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def aclose(self) -> None:
        """Close every idle connection; busy ones close when released."""
        self._closed = True
        self._drop_idle()
        await asyncio.sleep(0)
