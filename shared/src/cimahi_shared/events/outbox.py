"""Transactional outbox: events are written with the state change, then relayed to JetStream."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from prometheus_client import Counter, Gauge
from sqlalchemy import Row, Select, String, any_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cimahi_shared.db import utcnow
from cimahi_shared.events.bus import EventBus
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.tables import outbox

logger = logging.getLogger("cimahi.outbox")

RELAYED = Counter("cimahi_outbox_relayed_total", "Events published from the outbox", ["service"])
RELAY_ERRORS = Counter("cimahi_outbox_errors_total", "Failed outbox publish attempts", ["service"])
PENDING = Gauge(
    "cimahi_outbox_pending", "Events waiting in the outbox at the last relay pass", ["service"]
)


async def enqueue(session: AsyncSession, event: CloudEvent, *, subject: str) -> None:
    """Add an event to the outbox inside the caller's transaction (published only if it commits)."""
    session.info["outbox_dirty"] = True
    await session.execute(
        outbox.insert().values(
            id=event.id, subject=subject, payload=event.to_json(), created_at=utcnow(), attempts=0
        )
    )


@dataclass(slots=True)
class _Outcome:
    """What became of a claimed batch: acknowledged, refused or timed out, or never sent."""

    acked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unsent: int = 0
    error: str = ""


# The ids of a batch as one array parameter: one statement text whatever the batch size.
_IDS = bindparam("ids", type_=postgresql.ARRAY(String()))

# The relay's two statements have one good plan each: the oldest pending rows read in order from
# the partial index ix_outbox_pending (no sort), and the batch marked through the primary key.
# Without statistics (a new table, or autovacuum behind a burst) PostgreSQL may instead sort every
# pending row for each batch and scan the whole outbox for each update, which makes draining a
# backlog quadratic. These settings last for the relay's transaction only (is_local).
_INDEX_ONLY_PLANS = select(
    func.set_config("enable_sort", "off", True), func.set_config("enable_seqscan", "off", True)
)


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, marking them sent only after the PubAck.

    A batch is published with asynchronous publishes whose PubAcks are awaited together (in order
    on one connection, so each subject keeps its outbox order in the stream); only the rows whose
    PubAck came back are marked published, in one statement. Several replicas may run: on
    PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``; the ``Nats-Msg-Id`` header (the
    event id) makes a re-publish after a timeout a no-op in the stream.
    """

    def __init__(
        self,
        *,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        bus: EventBus,
        ensure_streams: Callable[[], Awaitable[None]] | None = None,
        batch_size: int = 1000,
        poll_interval: float = 0.5,
        publish_timeout: float = 5.0,
    ) -> None:
        self.service = service
        self.session_factory = session_factory
        self.bus = bus
        self.ensure_streams = ensure_streams
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.publish_timeout = publish_timeout
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._streams_ready = False

    def wake(self) -> None:
        """Ask the relay to look at the outbox now (called after a commit that enqueued events)."""
        self._wakeup.set()

    async def start(self) -> None:
        """Run the relay loop in the background."""
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        """Stop the loop (rows not yet published stay in the outbox for the next start)."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self.bus.connected.wait()
                if not self._streams_ready and self.ensure_streams is not None:
                    await self.ensure_streams()
                    self._streams_ready = True
                sent = await self.relay_once()
                backoff = 0.1
                if sent >= self.batch_size:
                    continue  # more waiting: keep draining
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                RELAY_ERRORS.labels(self.service).inc()
                logger.warning("outbox relay failed, retrying: %s: %s", type(exc).__name__, exc)
                await asyncio.sleep(backoff + random.uniform(0, backoff / 2))
                backoff = min(backoff * 2, 5.0)
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=self.poll_interval)
            except TimeoutError:
                pass
            self._wakeup.clear()

    async def relay_once(self) -> int:
        """Publish one batch of pending events; return how many were confirmed by JetStream.

        Raises ``ConnectionError`` when some of the batch was not confirmed (those rows stay
        pending, with ``attempts`` counted for the ones that were sent).
        """
        if not self.bus.is_connected:
            raise ConnectionError("NATS is not connected")
        async with self.session_factory() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres:
                # Rows stay locked (not the table) while they are published: other relays skip them.
                async with session.begin():
                    await session.execute(_INDEX_ONLY_PLANS)
                    rows = (
                        await session.execute(
                            self._pending_query().with_for_update(skip_locked=True)
                        )
                    ).all()
                    outcome = await self._publish(rows)
                    await self._mark(session, outcome, postgres=True)
            else:
                # SQLite locks the whole database in a write transaction: claim, publish, then mark,
                # each briefly. One relay per SQLite file (SQLite is the single-process local mode).
                async with session.begin():
                    rows = (await session.execute(self._pending_query())).all()
                outcome = await self._publish(rows)
                async with session.begin():
                    await self._mark(session, outcome, postgres=False)
        if not rows:
            PENDING.labels(self.service).set(0)
        RELAYED.labels(self.service).inc(len(outcome.acked))
        if outcome.failed or outcome.unsent:
            raise ConnectionError(
                f"{len(outcome.failed) + outcome.unsent} of {len(rows)} events not acknowledged"
                f" by JetStream: {outcome.error}"
            )
        return len(outcome.acked)

    def _pending_query(self) -> Select[tuple[str, str, bytes]]:
        return (
            select(outbox.c.id, outbox.c.subject, outbox.c.payload)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.created_at, outbox.c.id)
            .limit(self.batch_size)
        )

    async def _publish(self, rows: Sequence[Row[tuple[str, str, bytes]]]) -> _Outcome:
        """Send the batch in order, then wait (once, bounded) for all the PubAcks together."""
        outcome = _Outcome()
        if not rows:
            return outcome
        sent = await self.bus.publish_batch(
            [(row.subject, row.payload, row.id) for row in rows], ack_wait=self.publish_timeout
        )
        for row, result in zip(rows, sent.results, strict=False):
            if result is None:
                outcome.acked.append(row.id)
            else:
                outcome.failed.append(row.id)
                outcome.error = outcome.error or result
        outcome.unsent = len(rows) - len(sent.results)
        if sent.send_error is not None:
            # The connection failed mid-batch: no later event was sent (keeps each subject's
            # order); what was sent before may still have been confirmed. The rest stays pending.
            outcome.error = outcome.error or sent.send_error
        return outcome

    @staticmethod
    async def _mark(session: AsyncSession, outcome: _Outcome, *, postgres: bool) -> None:
        now = utcnow()
        for ids, values in (
            (outcome.acked, {"published_at": now}),
            (
                outcome.failed,
                {"attempts": outbox.c.attempts + 1, "last_error": outcome.error[:500]},
            ),
        ):
            if not ids:
                continue
            stmt = update(outbox).values(**values)
            if postgres:
                await session.execute(stmt.where(outbox.c.id == any_(_IDS)), {"ids": ids})
            else:
                await session.execute(stmt.where(outbox.c.id.in_(ids)))


async def pending_count(session: AsyncSession) -> int:
    """How many events wait in the outbox."""
    result = await session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())
