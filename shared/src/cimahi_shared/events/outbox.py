"""Transactional outbox: events are written with the state change, then relayed to JetStream."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import Counter, Gauge
from sqlalchemy import Row, Select, func, select, update
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


class OutboxRelay:
    """Publishes committed outbox rows to JetStream, marking them sent only after the PubAck.

    Several replicas may run: on PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED``; the
    ``Nats-Msg-Id`` header (the event id) makes a re-publish after a timeout a no-op in the stream.
    """

    def __init__(
        self,
        *,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        bus: EventBus,
        ensure_streams: Callable[[], Awaitable[None]] | None = None,
        batch_size: int = 500,
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
        """Publish one batch of pending events; return how many were confirmed by JetStream."""
        if not self.bus.is_connected:
            raise ConnectionError("NATS is not connected")
        async with self.session_factory() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Rows stay locked (not the table) while they are published: other relays skip them.
                async with session.begin():
                    rows = (
                        await session.execute(
                            self._pending_query().with_for_update(skip_locked=True)
                        )
                    ).all()
                    acked, failed, error = await self._publish(rows)
                    await self._mark(session, acked, failed, error)
            else:
                # SQLite locks the whole database in a write transaction: claim, publish, then mark,
                # each briefly. One relay per SQLite file (SQLite is the single-process local mode).
                async with session.begin():
                    rows = (await session.execute(self._pending_query())).all()
                acked, failed, error = await self._publish(rows)
                async with session.begin():
                    await self._mark(session, acked, failed, error)
        if not rows:
            PENDING.labels(self.service).set(0)
        RELAYED.labels(self.service).inc(len(acked))
        if failed:
            raise ConnectionError(
                f"{len(failed)} of {len(rows)} events not acknowledged by JetStream: {error}"
            )
        return len(acked)

    def _pending_query(self) -> Select[tuple[str, str, bytes]]:
        return (
            select(outbox.c.id, outbox.c.subject, outbox.c.payload)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.created_at, outbox.c.id)
            .limit(self.batch_size)
        )

    async def _publish(
        self, rows: Sequence[Row[tuple[str, str, bytes]]]
    ) -> tuple[list[str], list[str], str]:
        js = self.bus.js
        futures = []
        for row in rows:
            futures.append(
                await js.publish_async(row.subject, row.payload, headers={"Nats-Msg-Id": row.id})
            )
        results = await asyncio.gather(
            *(asyncio.wait_for(f, timeout=self.publish_timeout) for f in futures),
            return_exceptions=True,
        )
        acked = [
            row.id
            for row, res in zip(rows, results, strict=True)
            if not isinstance(res, BaseException)
        ]
        failed = [
            row.id for row, res in zip(rows, results, strict=True) if isinstance(res, BaseException)
        ]
        error = next((repr(r) for r in results if isinstance(r, BaseException)), "")
        return acked, failed, error

    @staticmethod
    async def _mark(session: AsyncSession, acked: list[str], failed: list[str], error: str) -> None:
        if acked:
            await session.execute(
                update(outbox).where(outbox.c.id.in_(acked)).values(published_at=utcnow())
            )
        if failed:
            await session.execute(
                update(outbox)
                .where(outbox.c.id.in_(failed))
                .values(attempts=outbox.c.attempts + 1, last_error=error[:500])
            )


async def pending_count(session: AsyncSession) -> int:
    """How many events wait in the outbox."""
    result = await session.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())
