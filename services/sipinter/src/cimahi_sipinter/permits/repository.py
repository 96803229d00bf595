"""Every SQL statement about issued permits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.models import Application, Business, BusinessOwner, Permit


async def by_id(
    session: AsyncSession, permit_id: str, *, for_update: bool = False
) -> Permit | None:
    """A permit by id (row-locked on PostgreSQL when ``for_update``)."""
    query = select(Permit).where(Permit.id == permit_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def by_code(session: AsyncSession, code: str) -> Permit | None:
    """The permit with this (canonical) verification code, if any."""
    query = select(Permit).where(Permit.verification_code == code)
    return (await session.execute(query)).scalar_one_or_none()


async def is_owner(session: AsyncSession, business_id: str, owner_sub: str) -> bool:
    """Whether an account owns (or co-owns) a business."""
    query = select(BusinessOwner.id).where(
        BusinessOwner.business_id == business_id, BusinessOwner.owner_sub == owner_sub
    )
    return (await session.execute(query.limit(1))).first() is not None


def _listing(*, owner_sub: str | None, area: str | None) -> Select[Permit]:
    query = select(Permit)
    if owner_sub is not None:
        owned = select(BusinessOwner.business_id).where(BusinessOwner.owner_sub == owner_sub)
        query = query.where(Permit.business_id.in_(owned))
    if area is not None:
        query = query.where(
            or_(Permit.kelurahan_code == area, Permit.kelurahan_code.startswith(area + "."))
        )
    return query


async def page(
    session: AsyncSession, *, owner_sub: str | None, area: str | None, limit: int, offset: int
) -> list[Permit]:
    """Up to ``limit`` permits owned by ``owner_sub`` and/or in ``area``, newest first."""
    query = _listing(owner_sub=owner_sub, area=area)
    query = query.order_by(Permit.issued_at.desc(), Permit.id.desc()).limit(limit).offset(offset)
    return list((await session.execute(query)).scalars())


async def businesses(session: AsyncSession, ids: Sequence[str]) -> dict[str, Business]:
    """Businesses by id."""
    if not ids:
        return {}
    rows = await session.execute(select(Business).where(Business.id.in_(set(ids))))
    return {b.id: b for b in rows.scalars()}


async def registration_numbers(
    session: AsyncSession, application_ids: Sequence[str]
) -> dict[str, str | None]:
    """Registration numbers of applications by id."""
    if not application_ids:
        return {}
    query = select(Application.id, Application.registration_number).where(
        Application.id.in_(set(application_ids))
    )
    return {row.id: row.registration_number for row in await session.execute(query)}
