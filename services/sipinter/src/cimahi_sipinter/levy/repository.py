"""Queries of levy payments: codes, the application a code belongs to, payments by reference."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.models import Application, LevyPayment


async def code_taken(session: AsyncSession, code: str) -> bool:
    """Whether an application already has this levy code."""
    query = select(Application.id).where(Application.levy_code == code).limit(1)
    return (await session.execute(query)).first() is not None


async def application_by_code(session: AsyncSession, code: str) -> Application | None:
    """The application whose levy has this code, row-locked (PostgreSQL) until the commit.

    The lock serialises two confirmations of one levy: the second sees the first's payment.
    """
    query = select(Application).where(Application.levy_code == code).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def application_by_id(session: AsyncSession, application_id: str) -> Application | None:
    """An application by id (to answer a repeated confirmation)."""
    return await session.get(Application, application_id)


async def payment_by_reference(session: AsyncSession, reference: str) -> LevyPayment | None:
    """The payment a channel reported with this reference, if any."""
    query = select(LevyPayment).where(LevyPayment.channel_reference == reference)
    return (await session.execute(query)).scalar_one_or_none()
