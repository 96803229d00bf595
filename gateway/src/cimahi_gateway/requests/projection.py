"""The unified request status projection: agencies' lifecycle events -> the gateway's own tables.

Order-safe and idempotent: the current row only moves to a strictly higher ``sequence`` (a
duplicate or late event never moves a status backwards), while every event still fills its own
timeline slot once. Batch-friendly: ``apply_lifecycle`` only buffers the event on the session; the
whole transaction's events are written with a few multi-row statements just before it commits
(or earlier with ``flush_lifecycle``). A rolled-back transaction drops its buffer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.requests import models, repository
from cimahi_shared.app import Runtime
from cimahi_shared.events.bus import ensure_stream
from cimahi_shared.events.consumer import DurableConsumer
from cimahi_shared.events.envelope import CloudEvent, stream_name
from cimahi_shared.events.lifecycle import LIFECYCLE_V1, RequestLifecycleV1

logger = logging.getLogger("cimahi.gateway.status")

CONSUMERS_KEY = "status_consumers"
_PENDING_KEY = "cimahi_gateway.requests.pending"
_HOOKED_KEY = "cimahi_gateway.requests.hooked"

REJECTED = Counter(
    "cimahi_gateway_lifecycle_rejected_total",
    "Lifecycle events the status projection refused (malformed, or of another agency)",
    ["reason"],
)

_KECAMATAN = re.compile(r"^(\d{2}\.\d{2}\.\d{2})(?:\.\d{4})?$")


def kecamatan_of(area: str | None) -> str | None:
    """The kecamatan code of a kecamatan or kelurahan code (``32.77.01.1001`` -> ``32.77.01``)."""
    if area is None:
        return None
    match = _KECAMATAN.match(area)
    return match.group(1) if match else None


def _utc(value: datetime) -> datetime:
    # The contract says timezone-aware; a producer that forgets the offset meant UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_LIMITS = {
    "tracking_no": models.TRACKING_NO_MAX,
    "agency": models.AGENCY_MAX,
    "request_kind": models.REQUEST_KIND_MAX,
    "owner_sub": models.OWNER_SUB_MAX,
    "area": models.AREA_MAX,
    "agency_status": models.AGENCY_STATUS_MAX,
}


def _too_long(payload: RequestLifecycleV1) -> str | None:
    for name, limit in _LIMITS.items():
        value = getattr(payload, name)
        if value is not None and len(value) > limit:
            return name
    return None


@dataclass
class _PendingBatch:
    """The events of one transaction, reduced to one current row per request."""

    current: dict[str, dict[str, Any]] = field(default_factory=dict)
    timeline: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def add(self, event_id: str, p: RequestLifecycleV1) -> None:
        occurred_at = _utc(p.occurred_at)
        submitted_at = _utc(p.submitted_at) if p.submitted_at is not None else occurred_at
        row = self.current.get(p.tracking_no)
        if row is not None and row["agency"] != p.agency:
            REJECTED.labels("agency_mismatch").inc()
            logger.warning("lifecycle event %s: %s belongs to another agency", event_id, p.agency)
            return
        if row is None or p.sequence > row["last_sequence"]:
            earliest = submitted_at if row is None else min(row["submitted_at"], submitted_at)
            self.current[p.tracking_no] = {
                "tracking_no": p.tracking_no,
                "agency": p.agency,
                "request_kind": p.request_kind,
                "title": p.title,
                "owner_sub": p.owner_sub,
                "area": p.area,
                "kecamatan": kecamatan_of(p.area),
                "agency_status": p.agency_status,
                "status": p.status.value,
                "last_sequence": p.sequence,
                "submitted_at": earliest,
                "updated_at": occurred_at,
                "due_at": _utc(p.due_at) if p.due_at is not None else None,
            }
        else:
            row["submitted_at"] = min(row["submitted_at"], submitted_at)
        self.timeline.setdefault(
            (p.tracking_no, p.sequence),
            {
                "tracking_no": p.tracking_no,
                "sequence": p.sequence,
                "status": p.status.value,
                "agency_status": p.agency_status,
                "note": p.note,
                "occurred_at": occurred_at,
                "event_id": event_id,
            },
        )


def _write(session: Session) -> None:
    """Write the buffered events with a few multi-row statements."""
    batch: _PendingBatch | None = session.info.pop(_PENDING_KEY, None)
    if batch is None or not batch.current:
        return
    current = [batch.current[no] for no in sorted(batch.current)]
    # Rows the upsert inserted or advanced are known to be of the event's agency; only the others
    # (stale events, or another agency's request) need their owner looked up.
    advanced = repository.upsert_current(session, current)
    owners = {no: batch.current[no]["agency"] for no in advanced}
    owners.update(
        repository.agencies_of(
            session, [row["tracking_no"] for row in current if row["tracking_no"] not in advanced]
        )
    )
    entries = []
    for key in sorted(batch.timeline):
        tracking_no = key[0]
        if owners.get(tracking_no) != batch.current[tracking_no]["agency"]:
            REJECTED.labels("agency_mismatch").inc()
            logger.warning("lifecycle event for %s of another agency ignored", tracking_no)
            continue
        entries.append(batch.timeline[key])
    repository.insert_timeline(session, entries)


def _drop_on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)


def _pending(session: AsyncSession) -> _PendingBatch:
    sync = session.sync_session
    if not sync.info.get(_HOOKED_KEY):
        sa_event.listen(sync, "before_commit", _write)
        sa_event.listen(sync, "after_transaction_end", _drop_on_end)
        sync.info[_HOOKED_KEY] = True
    batch: _PendingBatch | None = sync.info.get(_PENDING_KEY)
    if batch is None:
        batch = sync.info[_PENDING_KEY] = _PendingBatch()
    return batch


async def _apply(session: AsyncSession, event: CloudEvent, *, agency: str | None) -> None:
    if event.type != LIFECYCLE_V1:
        return
    try:
        payload = RequestLifecycleV1.model_validate(event.data)
    except ValidationError as exc:
        # It will never become valid: redelivering it would only block the stream.
        REJECTED.labels("malformed").inc()
        logger.error("lifecycle event %s is malformed, skipped: %s", event.id, exc)
        return
    too_long = _too_long(payload)
    if too_long is not None:
        REJECTED.labels("malformed").inc()
        logger.error("lifecycle event %s: %s is too long, skipped", event.id, too_long)
        return
    if agency is not None and payload.agency != agency:
        REJECTED.labels("agency_mismatch").inc()
        logger.warning(
            "lifecycle event %s of %s on %s's stream, skipped", event.id, payload.agency, agency
        )
        return
    _pending(session).add(event.id, payload)


async def apply_lifecycle(session: AsyncSession, event: CloudEvent) -> None:
    """Consumer handler: project one lifecycle event (written when the session commits)."""
    await _apply(session, event, agency=None)


async def flush_lifecycle(session: AsyncSession) -> None:
    """Write the events buffered on this session now, to read them back before the commit."""
    await session.run_sync(_write)


def _handler_for(agency: str) -> Callable[[AsyncSession, CloudEvent], Awaitable[None]]:
    async def handle(session: AsyncSession, event: CloudEvent) -> None:
        await _apply(session, event, agency=agency)

    return handle


def _stream_creator(runtime: Runtime, agency: str) -> Callable[[], Awaitable[None]]:
    async def create() -> None:
        await ensure_stream(runtime.bus.js, agency)

    return create


async def on_start(runtime: Runtime) -> None:
    """Start one durable consumer of lifecycle events per agency (when NATS is enabled)."""
    settings = runtime.settings
    if not settings.nats_enabled:
        return
    if not isinstance(settings, GatewaySettings):
        raise TypeError("the status projection needs GatewaySettings")
    consumers: list[DurableConsumer] = []
    for agency in sorted(settings.upstreams):
        consumer = DurableConsumer(
            name=f"gateway-status-{agency}",
            bus=runtime.bus,
            stream=stream_name(agency),
            filter_subjects=[f"cimahi.{agency}.request.lifecycle.v1"],
            session_factory=runtime.session_factory,
            handler=_handler_for(agency),
            ensure_stream=_stream_creator(runtime, agency),
            batch_size=settings.status_consumer_batch,
            # The projection is order-safe and idempotent: on PostgreSQL two batches may be
            # applied at once (one's database round trips overlap the next one's parsing).
            concurrency=2 if runtime.engine.dialect.name == "postgresql" else 1,
        )
        await consumer.start()
        consumers.append(consumer)
    runtime.extras[CONSUMERS_KEY] = consumers


async def on_stop(runtime: Runtime) -> None:
    """Stop the lifecycle consumers; unacknowledged events are redelivered after a restart."""
    consumers: list[DurableConsumer] = runtime.extras.pop(CONSUMERS_KEY, [])
    for consumer in consumers:
        await consumer.stop()
