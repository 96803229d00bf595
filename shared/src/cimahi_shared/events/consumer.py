"""Idempotent JetStream consumers: the processed event id is stored in the same transaction as the effect."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from prometheus_client import Counter
from sqlalchemy import String, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cimahi_shared.db import UTCDateTime, utcnow
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


# Claim a batch's event ids in one statement: the rows that come back are the new events. The
# primary key decides (ON CONFLICT), never a plan, so it needs no statistics; a concurrent claim of
# the same id waits for the other transaction and then yields nothing if that one committed.
_CLAIM_IDS = func.unnest(bindparam("ids", type_=postgresql.ARRAY(String()))).table_valued(
    "event_id"
)
_CLAIM = (
    postgresql.insert(processed_events)
    .from_select(
        ["consumer", "event_id", "processed_at"],
        select(
            bindparam("consumer", type_=String()),
            _CLAIM_IDS.render_derived().c.event_id,
            bindparam("now", type_=UTCDateTime()),
        ),
    )
    .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
    .returning(processed_events.c.event_id)
)


async def _claim(session: AsyncSession, consumer: str, ids: list[str]) -> set[str]:
    """Record these (distinct) event ids as processed by ``consumer``; return the ones that were new."""
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # Sorted: two transactions claiming overlapping ids lock them in the same order.
        result = await session.execute(
            _CLAIM, {"ids": sorted(ids), "consumer": consumer, "now": now}
        )
        return set(result.scalars())
    # SQLite (one writer at a time): look up, then insert what is new.
    seen_rows = await session.execute(
        select(processed_events.c.event_id).where(
            processed_events.c.consumer == consumer, processed_events.c.event_id.in_(ids)
        )
    )
    new = set(ids).difference(seen_rows.scalars())
    if new:
        await session.execute(
            processed_events.insert(),
            [{"consumer": consumer, "event_id": i, "processed_at": now} for i in sorted(new)],
        )
    return new


async def apply_events(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    consumer: str,
    events: Sequence[CloudEvent],
    handler: Handler,
) -> int:
    """Apply a batch in one transaction, skipping events this consumer already processed.

    Each event id is claimed in ``processed_events`` in the same transaction as the handlers'
    effects, so an event is applied once per consumer even when redelivered (also within one
    batch). Returns how many were new. Raises if the handler fails; nothing of the batch is then
    kept.
    """
    if not events:
        return 0
    async with session_factory() as session, session.begin():
        new = await _claim(session, consumer, list({e.id: None for e in events}))
        fresh: list[CloudEvent] = []
        for event in events:
            if event.id in new:
                new.discard(event.id)  # a second copy in the same batch is a duplicate
                fresh.append(event)
        for event in fresh:
            await handler(session, event)
    CONSUMED.labels(consumer).inc(len(fresh))
    DUPLICATES.labels(consumer).inc(len(events) - len(fresh))
    return len(fresh)


_NO_MORE = frozenset({"404", "408", "409"})  # no messages, request expired, request refused


@dataclass(slots=True)
class _PullRequest:
    subject: str
    asked: int
    deadline: float
    lingering: bool
    got: int = 0


class _Puller:
    """Pull requests of a durable consumer, answered on a private inbox (a fetch loop).

    One request is open at a time; it asks for up to ``batch`` messages, a subscription callback
    collects the deliveries, and it ends with its last message or with the server's status on its
    reply subject (404 no messages, 408 expired, 409 refused). While the consumer has a backlog
    the requests are ``no_wait``, and the next one is sent as soon as a batch is handed out (it is
    delivered while that batch is applied); when idle, one lingering request (``expires``) waits,
    and what it delivers is handed out at once. A request lost with the connection (no status
    ever comes) is dropped after its deadline and a new one is sent: nothing depends on the server
    keeping a request across a restart (nats.py #504).
    """

    def __init__(
        self, nc: NatsClient, *, stream: str, durable: str, batch: int, expires: float
    ) -> None:
        self.nc = nc
        self.batch = batch
        self.expires = expires
        self._next_subject = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._inbox = nc.new_inbox()
        self._numbers = itertools.count(1)
        self._open: _PullRequest | None = None
        self._ready: list[Msg] = []
        self._arrived = asyncio.Event()
        self._busy = True
        self._refused: str | None = None
        self._sub: Subscription | None = None

    async def start(self) -> None:
        self._sub = await self.nc.subscribe(self._inbox + ".*", cb=self._on_msg)

    async def stop(self) -> None:
        """Withdraw the inbox, and hand back what was delivered but not taken (redelivered soon)."""
        if self._sub is not None:
            sub, self._sub = self._sub, None
            await sub.unsubscribe()
            # Flushed: the server has seen the unsubscribe when stop returns, so a request still
            # open there cannot hand the next messages to this stopped inbox (they would only come
            # back after ack_wait).
            await self.nc.flush(timeout=2)
        ready, self._ready = self._ready, []
        for msg in ready:
            with contextlib.suppress(Exception):
                await msg.nak()

    async def _on_msg(self, msg: Msg) -> None:
        request = self._open
        if msg.reply:
            # A message of the stream (on its own subject; its reply subject acknowledges it).
            # Deliveries come for the open request (a lost one's stragglers are taken as well).
            self._ready.append(msg)
            wake = len(self._ready) >= self.batch
            if request is not None:
                request.got += 1
                wake = wake or request.lingering
                if request.got >= request.asked:
                    self._open = None
                    wake = True
        else:
            # A status on a request's reply subject: that request is over.
            status = msg.headers.get("Status") if msg.headers else None
            if request is None or msg.subject != request.subject or status not in _NO_MORE:
                return
            self._open = None
            if request.got == 0 and not request.lingering:
                self._busy = False
            if status == "409":  # consumer deleted, a limit exceeded, leadership change...
                description = msg.headers.get("Description", "") if msg.headers else ""
                self._refused = f"409 {description}".strip()
            wake = True
        if wake:
            self._arrived.set()

    async def _request(self) -> None:
        subject = f"{self._inbox}.{next(self._numbers)}"
        loop = asyncio.get_running_loop()
        body: dict[str, Any] = {"batch": self.batch}
        if self._busy:
            body["no_wait"] = True
            deadline = loop.time() + self.expires
        else:
            body["expires"] = int(self.expires * 1e9)
            deadline = loop.time() + self.expires + 1.0
        self._open = _PullRequest(subject, self.batch, deadline, lingering=not self._busy)
        await self.nc.publish(self._next_subject, orjson.dumps(body), reply=subject)

    async def next_batch(self) -> list[Msg]:
        """The next messages, at most ``batch``; empty after ``expires`` without any."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.expires
        while True:
            if self._refused is not None:
                raise ConnectionError(f"pull request refused: {self._refused}")
            request = self._open
            if len(self._ready) >= self.batch or (
                self._ready and (request is None or request.lingering)
            ):
                msgs, self._ready = self._ready[: self.batch], self._ready[self.batch :]
                self._busy = True
                if self._open is None and len(self._ready) < self.batch:
                    await self._request()  # the next batch travels while this one is applied
                return msgs
            if request is not None and request.deadline <= loop.time():
                self._open = request = None  # lost with the connection: ask again
            if request is None:
                if not self._busy and loop.time() >= give_up:
                    return []
                await self._request()
                request = self._open
                assert request is not None
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._arrived.wait(), timeout=max(request.deadline - loop.time(), 0.0)
                )


class DurableConsumer:
    """A durable pull consumer with a fetch loop (safe across server restarts, see nats.py #504).

    Each fetched batch is applied in one transaction (``apply_events``), then acknowledged.
    ``concurrency`` batches may be applied at once (default 1: strictly one after the other).
    More overlaps one batch's database round trips with the next one's parsing and handling;
    allow it only when the handler's effects do not depend on the order events are applied in
    (a later event's transaction may commit first) and on PostgreSQL (row locks: a redelivered
    event claimed by two batches at once is applied by one, the other waits and skips it).
    """

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
        concurrency: int = 1,
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
        self.concurrency = max(1, concurrency)
        self._task: asyncio.Task[None] | None = None
        self._puller: _Puller | None = None

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
        await self._close_puller()

    async def _close_puller(self) -> None:
        puller, self._puller = self._puller, None
        if puller is not None:
            with contextlib.suppress(Exception):
                await puller.stop()

    async def _subscribe(self) -> _Puller:
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
        puller = _Puller(
            self.bus.nc,
            stream=self.stream,
            durable=self.name,
            batch=self.batch_size,
            expires=self.fetch_timeout,
        )
        await puller.start()
        return puller

    async def _run(self) -> None:
        backoff = 0.2
        applying: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    await self.bus.connected.wait()
                    if self._puller is None:
                        self._puller = await self._subscribe()
                    msgs = await self._puller.next_batch()
                    if msgs:
                        applying.add(asyncio.create_task(self._handle(msgs)))
                    if applying and (len(applying) >= self.concurrency or not msgs):
                        done, applying = await asyncio.wait(
                            applying, return_when=asyncio.FIRST_COMPLETED
                        )
                        for task in done:
                            task.result()  # a failure to acknowledge: start over below
                    backoff = 0.2
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    logger.warning("consumer %s: %s: %s", self.name, type(exc).__name__, exc)
                    await _finish(applying)
                    applying = set()
                    await self._close_puller()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            # Stopped: batches being applied roll back (or were committed and are skipped as
            # duplicates when redelivered); either way nothing is lost.
            for task in applying:
                task.cancel()
            await _finish(applying)

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


async def _finish(tasks: set[asyncio.Task[None]]) -> None:
    """Wait for these tasks to end, whatever their outcome."""
    if tasks:
        await asyncio.wait(tasks)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                logger.warning("consumer batch failed: %r", task.exception())
