"""Every SQL statement about businesses and their owners."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.models import Business, BusinessOwner


async def by_id(session: AsyncSession, business_id: str) -> Business | None:
    """A business by id."""
    return await session.get(Business, business_id)


async def by_nib(session: AsyncSession, nib: str) -> Business | None:
    """A business by NIB."""
    return (await session.execute(select(Business).where(Business.nib == nib))).scalar_one_or_none()


async def owners_of(session: AsyncSession, business_ids: Sequence[str]) -> list[BusinessOwner]:
    """The owners of some businesses, oldest first."""
    if not business_ids:
        return []
    query = (
        select(BusinessOwner)
        .where(BusinessOwner.business_id.in_(business_ids))
        .order_by(BusinessOwner.added_at, BusinessOwner.id)
    )
    return list((await session.execute(query)).scalars())


async def owner(session: AsyncSession, business_id: str, owner_sub: str) -> BusinessOwner | None:
    """An account's ownership of a business, if any."""
    query = select(BusinessOwner).where(
        BusinessOwner.business_id == business_id, BusinessOwner.owner_sub == owner_sub
    )
    return (await session.execute(query)).scalar_one_or_none()


def _listing(*, owner_sub: str | None, area: str | None) -> Select[Business]:
    query = select(Business)
    if owner_sub is not None:
        owned = select(BusinessOwner.business_id).where(BusinessOwner.owner_sub == owner_sub)
        query = query.where(Business.id.in_(owned))
    if area is not None:
        query = query.where(
            or_(Business.kelurahan_code == area, Business.kelurahan_code.startswith(area + "."))
        )
    return query


async def page(
    session: AsyncSession, *, owner_sub: str | None, area: str | None, limit: int, offset: int
) -> tuple[list[Business], int]:
    """A page of businesses owned by ``owner_sub`` and/or in ``area`` (newest first), and the total."""
    query = _listing(owner_sub=owner_sub, area=area)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(
        query.order_by(Business.created_at.desc(), Business.id.desc()).limit(limit).offset(offset)
    )
    return list(rows.scalars()), total
