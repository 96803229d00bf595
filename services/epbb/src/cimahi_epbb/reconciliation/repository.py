"""Every SQL statement of reconciliation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.models import Payment, Reconciliation


async def payments_on(session: AsyncSession, *, channel: str, day: date) -> list[Payment]:
    """A channel's confirmed payments with settlement day ``day`` (WIB)."""
    rows = await session.execute(
        select(Payment)
        .where(Payment.channel_code == channel, Payment.paid_on == day)
        .order_by(Payment.paid_at, Payment.id)
    )
    return list(rows.scalars())


async def payments_by_reference(
    session: AsyncSession, *, channel: str, references: Iterable[str]
) -> dict[str, Payment]:
    """A channel's payments (any day) by reference."""
    refs = list(set(references))
    found: dict[str, Payment] = {}
    for start in range(0, len(refs), 500):
        rows = await session.execute(
            select(Payment).where(
                Payment.channel_code == channel,
                Payment.channel_reference.in_(refs[start : start + 500]),
            )
        )
        found.update({p.channel_reference: p for p in rows.scalars()})
    return found


def add(session: AsyncSession, reconciliation: Reconciliation) -> None:
    """Stage a report."""
    session.add(reconciliation)


async def get(session: AsyncSession, reconciliation_id: str) -> Reconciliation | None:
    """A report by id."""
    return await session.get(Reconciliation, reconciliation_id)
