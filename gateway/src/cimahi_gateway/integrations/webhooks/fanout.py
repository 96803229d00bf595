"""Turning a logged event into deliveries (CONTRACT - the webhooks helper fills it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.integrations.models import EventRecord


async def fan_out(session: AsyncSession, records: list[EventRecord], *, now: datetime) -> int:
    """Create a ``Delivery`` (pending; ``held`` for a disabled endpoint) for every active or
    disabled endpoint whose integrator (not revoked) may see the event (``scopes.allowed`` over
    the integrator's ``allowed_events``) and whose own ``event_types``/``agencies`` match, once
    per (endpoint, event) - called by the event log in the transaction that stores the records.
    Returns the number of deliveries created."""
    return 0
