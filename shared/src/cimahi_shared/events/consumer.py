"""Idempotent JetStream consumers: the processed event id is stored in the same transaction as the effect."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cimahi_shared.db import utcnow
from cimahi_shared.events.bus import EventBus
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.tables import processed_events

logger = logging.getLogger("cimahi.consumer")

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]

CONSUMED = Counter("cimahi_events_consumed_total", "Events applied by a consumer", ["consumer"])
DUPLICATES = Counter("cimahi_events_duplicate_total", "Redelivered events skipped", ["consumer"])
FAILED = Counter(
    "cimahi_events_failed_total", "Events whose handler failed (redelivered later)", ["consumer"]
)


async def apply_events(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    consumer: str,
    events: Sequence[CloudEvent],
    handler: Handler,
) -> int:
    """Apply a batch in one transaction, skipping events this consumer already processed.

    Returns how many were new. Raises if the handler fails; nothing of the batch is then kept.
    """
    if not events:
        return 0
    async with session_factory() as session, session.begin():
        ids = [e.id for e in events]
        seen_rows = await session.execute(
            select(processed_events.c.event_id).where(
                processed_events.c.consumer == consumer, processed_events.c.event_id.in_(ids)
            )
        )
        seen = set(seen_rows.scalars())
        fresh: list[CloudEvent] = []
        for event in events:
            if event.id in seen:
                continue
            seen.add(event.id)
            fresh.append(event)
        if fresh:
            now = utcnow()
            await session.execute(
                processed_events.insert(),
                [{"consumer": consumer, "event_id": e.id, "processed_at": now} for e in fresh],
            )
            for event in fresh:
                await handler(session, event)
    CONSUMED.labels(consumer).inc(len(fresh))
    DUPLICATES.labels(consumer).inc(len(events) - len(fresh))
    return len(fresh)


class DurableConsumer:
    """A durable pull consumer with a fetch loop (safe across server restarts, see nats.py #504)."""

    def __init__(
        self,
        *,
        name: str,
        bus: EventBus,
        stream: str,
        filter_subjects: list[str],
        session_factory: async_sessionmaker[AsyncSession],
        handler: Handler,
        ensure_stream: Callable[[], Awaitable[None]] | None = None,
        batch_size: int = 256,
        fetch_timeout: float = 1.0,
    ) -> None:
        self.name = name
        self.bus = bus
        self.stream = stream
        self.filter_subjects = filter_subjects
        self.session_factory = session_factory
        self.handler = handler
        self.ensure_stream = ensure_stream
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self._task: asyncio.Task[None] | None = None
        self._sub: Any = None

    async def start(self) -> None:
        """Consume in the background."""
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.name}")

    async def stop(self) -> None:
        """Stop consuming; unacknowledged messages are redelivered to the next run."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        # Withdraw the inbox: else the pull request still open on the server hands the next
        # messages to this stopped consumer, and they only come back after ack_wait (30 s).
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        js = self.bus.js
        if self.ensure_stream is not None:
            await self.ensure_stream()
        config = ConsumerConfig(
            durable_name=self.name,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            max_ack_pending=10_000,
            filter_subjects=self.filter_subjects,
        )
        try:
            await js.consumer_info(self.stream, self.name)
        except NotFoundError:
            await js.add_consumer(self.stream, config)
        return await js.pull_subscribe_bind(durable=self.name, stream=self.stream)

    async def _run(self) -> None:
        backoff = 0.2
        sub = None
        while True:
            try:
                await self.bus.connected.wait()
                if sub is None:
                    sub = self._sub = await self._subscribe()
                try:
                    msgs = await sub.fetch(self.batch_size, timeout=self.fetch_timeout)
                except (NatsTimeoutError, TimeoutError):
                    continue
                await self._handle(msgs)
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("consumer %s: %s: %s", self.name, type(exc).__name__, exc)
                if sub is not None:
                    with contextlib.suppress(Exception):
                        await sub.unsubscribe()
                sub = self._sub = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _handle(self, msgs: list[Msg]) -> None:
        events: list[CloudEvent] = []
        valid: list[Msg] = []
        for msg in msgs:
            try:
                events.append(CloudEvent.from_json(msg.data))
                valid.append(msg)
            except ValueError:
                logger.error(
                    "consumer %s: dropping a malformed event on %s", self.name, msg.subject
                )
                await msg.term()
        try:
            await apply_events(
                self.session_factory, consumer=self.name, events=events, handler=self.handler
            )
        except Exception:
            # Find the poison message: apply one by one, so one bad event does not block the rest.
            FAILED.labels(self.name).inc()
            logger.exception("consumer %s: batch failed, retrying one by one", self.name)
            for msg, event in zip(valid, events, strict=True):
                try:
                    await apply_events(
                        self.session_factory,
                        consumer=self.name,
                        events=[event],
                        handler=self.handler,
                    )
                    await msg.ack()
                except Exception:
                    logger.exception(
                        "consumer %s: event %s failed; redelivering later", self.name, event.id
                    )
                    await msg.nak(delay=5)
            return
        for msg in valid:
            await msg.ack()
