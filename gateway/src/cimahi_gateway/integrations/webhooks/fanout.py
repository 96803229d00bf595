"""Turning logged events into deliveries: one ``Delivery`` per (endpoint, event) that matches.

Called by the event log in the transaction that stores the records, so an event and its
deliveries commit together (a crash between them cannot lose a delivery). The endpoints are read
once per call (one query, joined with their integrators) and matched in memory; the deliveries
are inserted in one statement. An endpoint receives an event when all of these hold:

* its integrator is not revoked and may see the event (``scopes.allowed`` over the integrator's
  ``allowed_events`` - the bound of everything it receives, even if its endpoint's patterns were
  written when it was allowed more);
* the endpoint's own ``event_types`` match the event's key;
* the endpoint has no ``agencies`` filter, or the event's agency is in it.

A disabled endpoint still gets its deliveries, ``held`` (no ``next_attempt_at``): re-enabling it
releases them, so nothing is missed while an integrator repairs its receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_gateway.integrations import scopes
from cimahi_gateway.integrations.models import Delivery, EventRecord, Integrator, WebhookEndpoint

ACTIVE, DISABLED = "active", "disabled"
PENDING, HELD = "pending", "held"


def delivery_id() -> str:
    """A delivery's id, also its ``webhook-id``: ``msg_<ULID>``."""
    return f"msg_{ULID()}"


@dataclass(frozen=True, slots=True)
class _Target:
    """What fan-out needs of an endpoint and its integrator."""

    endpoint_id: str
    active: bool
    allowed_events: tuple[str, ...]
    event_types: tuple[str, ...]
    agencies: frozenset[str] | None

    def wants(self, record: EventRecord) -> bool:
        """Whether this endpoint receives ``record``."""
        return (
            (self.agencies is None or record.agency in self.agencies)
            and scopes.allowed(self.allowed_events, record.key)
            and scopes.allowed(self.event_types, record.key)
        )


async def _targets(session: AsyncSession) -> list[_Target]:
    """Every endpoint (active or disabled) of every integrator that is not revoked."""
    query = (
        select(
            WebhookEndpoint.id,
            WebhookEndpoint.status,
            WebhookEndpoint.event_types,
            WebhookEndpoint.agencies,
            Integrator.allowed_events,
        )
        .join(Integrator, Integrator.id == WebhookEndpoint.integrator_id)
        .where(Integrator.revoked_at.is_(None), WebhookEndpoint.status.in_((ACTIVE, DISABLED)))
    )
    return [
        _Target(
            endpoint_id=endpoint_id,
            active=status == ACTIVE,
            allowed_events=tuple(allowed_events or ()),
            event_types=tuple(event_types or ()),
            agencies=None if agencies is None else frozenset(agencies),
        )
        for endpoint_id, status, event_types, agencies, allowed_events in await session.execute(
            query
        )
    ]


async def _existing(session: AsyncSession, seqs: list[int]) -> set[tuple[str, int]]:
    """(endpoint, event) pairs that already have a delivery (an event fanned out again)."""
    query = select(Delivery.endpoint_id, Delivery.event_seq).where(Delivery.event_seq.in_(seqs))
    return {(endpoint_id, seq) for endpoint_id, seq in await session.execute(query)}


def _row(target: _Target, seq: int, now: datetime) -> dict[str, Any]:
    return {
        "id": delivery_id(),
        "endpoint_id": target.endpoint_id,
        "event_seq": seq,
        "status": PENDING if target.active else HELD,
        "attempts": 0,
        "next_attempt_at": now if target.active else None,
        "created_at": now,
    }


async def fan_out(session: AsyncSession, records: list[EventRecord], *, now: datetime) -> int:
    """Create a ``Delivery`` (pending, due ``now``; ``held`` for a disabled endpoint) for every
    endpoint whose integrator (not revoked) may see the event and whose own ``event_types`` and
    ``agencies`` match it, once per (endpoint, event). Returns the number created."""
    if not records:
        return 0
    targets = await _targets(session)
    if not targets:
        return 0
    if any(r.seq is None for r in records):
        await session.flush()  # the records' seq come from the database
    seqs = sorted({r.seq for r in records})
    done = await _existing(session, seqs)
    rows: list[dict[str, Any]] = []
    for record in records:
        for target in targets:
            pair = (target.endpoint_id, record.seq)
            if pair not in done and target.wants(record):
                done.add(pair)
                rows.append(_row(target, record.seq, now))
    if rows:
        await session.execute(insert(Delivery), rows)
    return len(rows)
