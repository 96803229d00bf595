"""The gateway's event log: every agency's events, in one order, for integrators.

One durable JetStream consumer per agency in ``settings.upstreams`` (``gateway-events-<agency>``,
filter ``cimahi.<agency>.>``: all its events, lifecycle ones included) stores each event as an
``EventRecord`` and hands it to ``webhooks.fanout.fan_out`` in the same transaction, so an event
and its webhook deliveries commit together. Idempotent twice over: the consumer claims each event
id in ``processed_events`` (a redelivery is skipped), and the log looks the event id up before
inserting (``integration_events.event_id`` is unique as well).

Order. ``seq`` is the stream's cursor (SSE ``id``), so a reader must never see ``seq`` N+1
committed while N is still uncommitted (it would move past N and never see it). Appends are
therefore serialised: on PostgreSQL each appending transaction first takes the transaction-scoped
advisory lock ``APPEND_LOCK`` (``pg_advisory_xact_lock``), held until it commits, so sequence
numbers are drawn and become visible in the same order across this process's consumers and every
gateway replica. SQLite has one writer at a time anyway.

Waking listeners. After a commit that stored records, ``new_events_signal(runtime).notify()``
wakes everyone waiting in this process (the SSE streams, the webhook delivery worker)::

    signal = new_events_signal(runtime)
    seen = signal.snapshot()        # BEFORE reading the log
    ...read what is there...
    await signal.wait(seen, within=1.0)  # True: something new was stored since the snapshot

Taking the snapshot before reading means a notification between the read and the wait is not
lost. Events stored by another gateway replica wake nobody here: listeners also poll (``within``).

Retention. ``prune`` (every hour while the gateway runs) deletes records older than
``event_log_retention_days`` that no pending or held webhook delivery needs, together with their
finished deliveries and attempts (the delivery log is kept as long as the events).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, exists, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.integrations import scopes
from cimahi_gateway.integrations.models import Delivery, DeliveryAttempt, EventRecord
from cimahi_gateway.integrations.webhooks import fanout
from cimahi_shared.app import Runtime
from cimahi_shared.db import utcnow
from cimahi_shared.events.bus import ensure_stream
from cimahi_shared.events.consumer import DurableConsumer
from cimahi_shared.events.envelope import CloudEvent, stream_name

logger = logging.getLogger("cimahi.gateway.eventlog")

CONSUMERS_KEY = "integrations.event_consumers"
SIGNAL_KEY = "integrations.new_events"
PRUNER_KEY = "integrations.event_pruner"
PRUNE_INTERVAL_SECONDS = 3600.0
# pg_advisory_xact_lock key serialising appends to the log ("cimahiev" as a 64-bit integer).
APPEND_LOCK = 0x63696D6168696576
_LOCKED = "cimahi_gateway.eventlog.locked"
_STORED = "cimahi_gateway.eventlog.stored"
_HOOKED = "cimahi_gateway.eventlog.hooked"
KEEP_STATUSES = ("pending", "held")


class NewEventsSignal:
    """Wakes in-process listeners when the log grew (see the module docstring for the protocol)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def snapshot(self) -> asyncio.Event:
        """The current generation: take it before reading the log, wait on it afterwards."""
        return self._event

    def notify(self) -> None:
        """Wake every waiter of the current generation and start a new one."""
        current, self._event = self._event, asyncio.Event()
        current.set()

    async def wait(self, seen: asyncio.Event, within: float) -> bool:
        """Wait until the log grew after ``seen`` was taken, at most ``within`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(seen.wait(), timeout=within)
        return seen.is_set()


def new_events_signal(runtime: Runtime) -> NewEventsSignal:
    """This process's signal (created on first use)."""
    signal = runtime.extras.get(SIGNAL_KEY)
    if not isinstance(signal, NewEventsSignal):
        signal = runtime.extras[SIGNAL_KEY] = NewEventsSignal()
    return signal


def _hook_notify(session: AsyncSession, signal: NewEventsSignal) -> None:
    """Notify ``signal`` after this session commits a transaction that stored records."""
    sync = session.sync_session
    if sync.info.get(_HOOKED):
        return

    def after_commit(s: Session) -> None:
        if s.info.pop(_STORED, False):
            signal.notify()

    def after_end(s: Session, transaction: Any) -> None:
        if transaction.parent is None:
            s.info.pop(_LOCKED, None)
            s.info.pop(_STORED, None)

    sa_event.listen(sync, "after_commit", after_commit)
    sa_event.listen(sync, "after_transaction_end", after_end)
    sync.info[_HOOKED] = True


async def _lock_appends(session: AsyncSession) -> None:
    """Serialise appends until this transaction ends (PostgreSQL; once per transaction)."""
    if session.info.get(_LOCKED) or session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})
    session.info[_LOCKED] = True


def structured(event: CloudEvent) -> dict[str, Any]:
    """The event as structured-mode CloudEvents JSON (what integrators receive)."""
    result: dict[str, Any] = orjson.loads(event.to_json())
    return result


async def append(
    session: AsyncSession, event: CloudEvent, *, agency: str, now: datetime | None = None
) -> EventRecord | None:
    """Store one event of ``agency`` and fan it out; None when it is already in the log or invalid.

    An event whose ``source`` names another agency, or whose type has no version, is skipped
    with a log line (integrators' scopes trust the agency; redelivering would not fix it).
    """
    body = structured(event)
    try:
        key = scopes.key_of(body)
    except ValueError:
        logger.error("event %s of %s has an unversioned type, not logged", event.id, agency)
        return None
    if scopes.is_internal(key):
        return None  # request.lifecycle feeds the unified status only (see scopes)
    if key.split(".")[0] != agency:
        logger.warning(
            "event %s on %s's stream claims another source, not logged", event.id, agency
        )
        return None
    await _lock_appends(session)
    query = select(EventRecord.seq).where(EventRecord.event_id == event.id)
    if await session.scalar(query) is not None:
        return None
    now = now or utcnow()
    record = EventRecord(
        event_id=event.id,
        key=key,
        type=event.type,
        agency=agency,
        subject=event.subject,
        event=body,
        occurred_at=event.time,
        received_at=now,
    )
    session.add(record)
    await session.flush()
    await fanout.fan_out(session, [record], now=now)
    session.info[_STORED] = True
    return record


def _handler_for(
    runtime: Runtime, agency: str
) -> Callable[[AsyncSession, CloudEvent], Awaitable[None]]:
    signal = new_events_signal(runtime)

    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        _hook_notify(session, signal)
        await append(session, event, agency=agency)

    return handle


def _stream_creator(runtime: Runtime, agency: str) -> Callable[[], Awaitable[None]]:
    async def create() -> None:
        await ensure_stream(runtime.bus.js, agency)

    return create


async def prune(
    session_factory: async_sessionmaker[AsyncSession], *, retention_days: int, now: datetime
) -> int:
    """Delete records older than the retention that no pending/held delivery needs; the count.

    Their finished deliveries (succeeded, failed) and those deliveries' attempts go with them.
    """
    cutoff = now - timedelta(days=retention_days)
    needed = exists().where(
        Delivery.event_seq == EventRecord.seq, Delivery.status.in_(KEEP_STATUSES)
    )
    old = select(EventRecord.seq).where(EventRecord.received_at < cutoff, ~needed)
    async with session_factory() as session, session.begin():
        seqs = list((await session.scalars(old)).all())
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            deliveries = select(Delivery.id).where(Delivery.event_seq.in_(chunk))
            await session.execute(
                delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(deliveries))
            )
            await session.execute(delete(Delivery).where(Delivery.event_seq.in_(chunk)))
            await session.execute(delete(EventRecord).where(EventRecord.seq.in_(chunk)))
    if seqs:
        logger.info("event log: pruned %d events older than %d days", len(seqs), retention_days)
    return len(seqs)


async def _prune_forever(runtime: Runtime, retention_days: int) -> None:
    while True:
        await asyncio.sleep(PRUNE_INTERVAL_SECONDS)
        try:
            await prune(runtime.session_factory, retention_days=retention_days, now=utcnow())
        except Exception as exc:  # the next hour tries again
            logger.warning("event log prune failed: %s: %s", type(exc).__name__, exc)


async def on_start(runtime: Runtime) -> None:
    """Start the log's consumers (one per agency, when NATS is enabled) and the hourly prune."""
    settings = runtime.settings
    if not isinstance(settings, GatewaySettings):
        raise TypeError("the event log needs GatewaySettings")
    new_events_signal(runtime)
    runtime.extras[PRUNER_KEY] = asyncio.create_task(
        _prune_forever(runtime, settings.event_log_retention_days), name="event-log-prune"
    )
    if not settings.nats_enabled:
        return
    consumers: list[DurableConsumer] = []
    for agency in sorted(settings.upstreams):
        consumer = DurableConsumer(
            name=f"gateway-events-{agency}",
            bus=runtime.bus,
            stream=stream_name(agency),
            filter_subjects=[f"cimahi.{agency}.>"],
            session_factory=runtime.session_factory,
            handler=_handler_for(runtime, agency),
            ensure_stream=_stream_creator(runtime, agency),
            batch_size=settings.status_consumer_batch,
        )
        await consumer.start()
        consumers.append(consumer)
    runtime.extras[CONSUMERS_KEY] = consumers


async def on_stop(runtime: Runtime) -> None:
    """Stop the consumers (unacknowledged events come again after a restart) and the prune."""
    pruner: asyncio.Task[None] | None = runtime.extras.pop(PRUNER_KEY, None)
    if pruner is not None:
        pruner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruner
    consumers: list[DurableConsumer] = runtime.extras.pop(CONSUMERS_KEY, [])
    for consumer in consumers:
        await consumer.stop()
