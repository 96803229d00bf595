"""The NATS connection: started in the lifespan, reconnecting forever, never required at import time."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import nats
import orjson
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError

from cimahi_shared.events.envelope import stream_name

logger = logging.getLogger("cimahi.nats")

_WAITING = "no PubAck in time"


@dataclass(slots=True)
class PublishOutcome:
    """What JetStream answered for a batch given to ``EventBus.publish_batch``.

    ``results[i]`` is None when message i was stored (or was a duplicate of a stored message),
    else why not. It is shorter than the batch when sending failed part-way (``send_error``):
    the later messages were not sent.
    """

    results: list[str | None] = field(default_factory=list)
    send_error: str | None = None


@dataclass(slots=True)
class _AckWait:
    results: list[str | None]
    done: asyncio.Future[None]
    remaining: int = 0
    sending: bool = True


class EventBus:
    """One NATS connection per process with its JetStream context; connects in the background."""

    def __init__(self, url: str, *, name: str) -> None:
        self.url = url
        self.name = name
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        # publish_batch: one reply subscription; each batch waits under its own number.
        self._ack_prefix = ""
        self._ack_sub: Subscription | None = None
        self._ack_lock = asyncio.Lock()
        self._ack_waits: dict[int, _AckWait] = {}
        self._batch_numbers = itertools.count(1)

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
    def nc(self) -> NatsClient:
        """The NATS client; raises if the first connection has not been made yet."""
        if self._nc is None:
            raise ConnectionError("NATS is not connected yet")
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context; raises if the first connection has not been made yet."""
        if self._js is None:
            raise ConnectionError("NATS is not connected yet")
        return self._js

    async def publish_batch(
        self, messages: Sequence[tuple[str, bytes, str]], *, ack_wait: float
    ) -> PublishOutcome:
        """Publish ``(subject, payload, msg_id)`` messages to JetStream and await their PubAcks.

        The messages go out in order on this connection (so the stream keeps each subject's order),
        each with ``Nats-Msg-Id: msg_id``; then the PubAcks are awaited together, at most
        ``ack_wait`` seconds. A PubAck arriving later is ignored (the message counts as not
        confirmed; publishing it again is a no-op in the stream's duplicate window).
        """
        nc = self._nc
        if nc is None:
            raise ConnectionError("NATS is not connected yet")
        outcome = PublishOutcome()
        if not messages:
            return outcome
        prefix = await self._ack_inbox(nc)
        number = next(self._batch_numbers)
        wait = _AckWait([_WAITING] * len(messages), asyncio.get_running_loop().create_future())
        self._ack_waits[number] = wait
        try:
            reply = f"{prefix}.{number}."
            publish = nc.publish
            sent = 0
            try:
                for subject, payload, msg_id in messages:
                    wait.remaining += 1  # before the send: its PubAck may come during an await
                    await publish(
                        subject, payload, reply=f"{reply}{sent}", headers={"Nats-Msg-Id": msg_id}
                    )
                    sent += 1
            except Exception as exc:
                wait.remaining -= 1  # the one that did not go out
                outcome.send_error = f"{type(exc).__name__}: {exc}"
            del wait.results[sent:]
            wait.sending = False
            if wait.remaining > 0:
                await asyncio.wait((wait.done,), timeout=ack_wait)
        finally:
            del self._ack_waits[number]
        outcome.results = wait.results
        return outcome

    async def _ack_inbox(self, nc: NatsClient) -> str:
        if self._ack_sub is None:
            async with self._ack_lock:
                if self._ack_sub is None:
                    prefix = nc.new_inbox()
                    self._ack_sub = await nc.subscribe(prefix + ".>", cb=self._on_ack)
                    self._ack_prefix = prefix
        return self._ack_prefix

    async def _on_ack(self, msg: Msg) -> None:
        _, number, index = msg.subject.rsplit(".", 2)
        wait = self._ack_waits.get(int(number))
        if wait is None:
            return  # a late PubAck of a batch that stopped waiting
        i = int(index)
        if i >= len(wait.results) or wait.results[i] is not _WAITING:
            return
        result: str | None
        if msg.headers and msg.headers.get("Status") == "503":
            result = "no stream for the subject (503 no responders)"
        else:
            try:
                body = orjson.loads(msg.data)
                error = body.get("error") if isinstance(body, dict) else "not a PubAck"
                result = None if error is None else str(error)
            except orjson.JSONDecodeError:
                result = "not a PubAck"
        wait.results[i] = result
        wait.remaining -= 1
        if wait.remaining == 0 and not wait.sending and not wait.done.done():
            wait.done.set_result(None)

    async def flush(self) -> None:
        """Wait until the server has processed everything sent so far (a PING/PONG round trip)."""
        if self._nc is not None and self._nc.is_connected:
            await self._nc.flush(timeout=2)

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
