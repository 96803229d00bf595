"""The NATS connection: started in the lifespan, reconnecting forever, never required at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
from nats.aio.client import Client as NatsClient
from nats.js.api import StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError

from cimahi_shared.events.envelope import stream_name

logger = logging.getLogger("cimahi.nats")


class EventBus:
    """One NATS connection per process with its JetStream context; connects in the background."""

    def __init__(self, url: str, *, name: str) -> None:
        self.url = url
        self.name = name
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    async def start(self) -> None:
        """Begin connecting; the service starts even when NATS is down (the outbox keeps events)."""
        self._task = asyncio.create_task(self._connect_loop(), name=f"nats-connect-{self.name}")

    async def _connect_loop(self) -> None:
        delay = 0.2
        while True:
            try:
                self._nc = await nats.connect(
                    self.url,
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnect,
                    reconnected_cb=self._on_reconnect,
                )
                self._js = self._nc.jetstream(timeout=5)
                self.connected.set()
                logger.info("connected to NATS", extra={"url": self.url})
                return
            except Exception as exc:
                logger.warning("NATS not reachable yet: %s", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _on_error(self, exc: Exception) -> None:
        logger.debug("nats error: %r", exc)

    async def _on_disconnect(self) -> None:
        logger.warning("disconnected from NATS")

    async def _on_reconnect(self) -> None:
        logger.info("reconnected to NATS")

    @property
    def is_connected(self) -> bool:
        """Whether the connection is up right now."""
        return self._nc is not None and self._nc.is_connected

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context; raises if the first connection has not been made yet."""
        if self._js is None:
            raise ConnectionError("NATS is not connected yet")
        return self._js

    async def check(self) -> None:
        """Readiness check: raise when NATS is not reachable."""
        if not self.is_connected:
            raise ConnectionError("NATS is not connected")

    async def stop(self) -> None:
        """Drain the connection (flushes pending publishes and acks)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._nc is not None and not self._nc.is_closed:
            try:
                await asyncio.wait_for(self._nc.drain(), timeout=5)
            except Exception:
                await self._nc.close()


async def ensure_stream(js: JetStreamContext, agency: str, *, replicas: int = 1) -> str:
    """Create (or update to) the agency's event stream; idempotent, safe from several processes."""
    name = stream_name(agency)
    config = StreamConfig(
        name=name,
        subjects=[f"cimahi.{agency}.>"],
        storage=StorageType.FILE,
        duplicate_window=120.0,
        num_replicas=replicas,
    )
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)
    return name
