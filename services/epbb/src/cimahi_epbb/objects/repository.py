"""Every SQL statement of tax objects, their account links, link attempts and bill reads.

Bills are read here too (one bill, its versions, an area's bills with their objects): every read of
a bill is a read of its object's data, with the same visibility.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Insert, and_, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from ulid import ULID

from cimahi_epbb.models import AccessAudit, Bill, ObjectClaimAttempt, ObjectLink, TaxObject


async def get_object(session: AsyncSession, nop: str) -> TaxObject | None:
    """The object with this NOP."""
    return await session.get(TaxObject, nop)


async def link_owner(session: AsyncSession, nop: str) -> str | None:
    """The account linked to an object, if any."""
    return (
        await session.execute(select(ObjectLink.owner_sub).where(ObjectLink.nop == nop))
    ).scalar_one_or_none()


def _insert_link(session: AsyncSession) -> type[Insert]:
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert  # type: ignore[return-value]


async def insert_link(session: AsyncSession, *, nop: str, owner_sub: str, now: datetime) -> bool:
    """Link ``nop`` to ``owner_sub`` unless it is linked already; whether this call linked it."""
    insert = _insert_link(session)
    statement = (
        insert(ObjectLink)
        .values(nop=nop, owner_sub=owner_sub, linked_at=now)
        .on_conflict_do_nothing(index_elements=[ObjectLink.nop])  # type: ignore[attr-defined]
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def delete_link(session: AsyncSession, *, nop: str, owner_sub: str) -> bool:
    """Remove ``owner_sub``'s link to ``nop``; whether there was one."""
    result = await session.execute(
        delete(ObjectLink).where(ObjectLink.nop == nop, ObjectLink.owner_sub == owner_sub)
    )
    return bool(getattr(result, "rowcount", 0))


async def linked_objects(session: AsyncSession, owner_sub: str) -> list[tuple[TaxObject, datetime]]:
    """An account's linked objects with when each was linked, by NOP."""
    rows = await session.execute(
        select(TaxObject, ObjectLink.linked_at)
        .join(ObjectLink, ObjectLink.nop == TaxObject.nop)
        .where(ObjectLink.owner_sub == owner_sub)
        .order_by(TaxObject.nop)
    )
    return [(obj, at) for obj, at in rows]


def add_claim_attempt(
    session: AsyncSession, *, owner_sub: str, nop: str, matched: bool, now: datetime
) -> None:
    """Record one attempt to link an object (never the NIK tried)."""
    session.add(
        ObjectClaimAttempt(
            id=str(ULID()), owner_sub=owner_sub, nop=nop, matched=matched, attempted_at=now
        )
    )


async def failed_claims_since(
    session: AsyncSession, *, owner_sub: str, since: datetime
) -> list[datetime]:
    """When an account's failed link attempts after ``since`` happened, oldest first."""
    rows = await session.execute(
        select(ObjectClaimAttempt.attempted_at)
        .where(
            ObjectClaimAttempt.owner_sub == owner_sub,
            ObjectClaimAttempt.attempted_at > since,
            ObjectClaimAttempt.matched.is_(False),
        )
        .order_by(ObjectClaimAttempt.attempted_at)
    )
    return list(rows.scalars())


NopRange = tuple[str, str]
"""The lowest and highest 18-digit NOP of a prefix (a BETWEEN the primary-key index serves)."""


def within_area(column: InstrumentedAttribute[str], area: str) -> ColumnElement[bool]:
    """``column`` (a kelurahan code) lies in an officer's area (city, kecamatan or kelurahan)."""
    return or_(column == area, column.startswith(area + ".", autoescape=True))


async def list_objects(
    session: AsyncSession,
    *,
    area: str | None,
    kelurahan_code: str | None,
    nop_ranges: list[NopRange],
    name_prefix: str | None,
    after_nop: str | None,
    limit: int,
) -> list[TaxObject]:
    """Objects by NOP after ``after_nop``, filtered; ``area`` None: the whole city (admins)."""
    query = select(TaxObject).order_by(TaxObject.nop).limit(limit)
    for low, high in nop_ranges:
        query = query.where(TaxObject.nop.between(low, high))
    if area is not None:
        query = query.where(within_area(TaxObject.kelurahan_code, area))
    if kelurahan_code is not None:
        query = query.where(TaxObject.kelurahan_code == kelurahan_code)
    if name_prefix:
        query = query.where(
            func.lower(TaxObject.taxpayer_name).startswith(name_prefix.lower(), autoescape=True)
        )
    if after_nop is not None:
        query = query.where(TaxObject.nop > after_nop)
    return list((await session.execute(query)).scalars())


async def get_bill(session: AsyncSession, bill_id: str) -> Bill | None:
    """One bill version by id."""
    return await session.get(Bill, bill_id)


async def bill_versions(session: AsyncSession, *, nop: str, tax_year: int) -> list[Bill]:
    """Every version of an object's bill for a year, newest first."""
    rows = await session.execute(
        select(Bill).where(Bill.nop == nop, Bill.tax_year == tax_year).order_by(Bill.version.desc())
    )
    return list(rows.scalars())


@dataclass(frozen=True, slots=True)
class BillFilter:
    """Filters of the officers' bill list (stored state; "overdue" = unpaid past its due date)."""

    area: str | None
    tax_year: int | None
    kelurahan_code: str | None
    states: tuple[str, ...]
    nop_ranges: list[NopRange]
    due_before: date | None
    due_from: date | None
    after: tuple[str, int] | None
    limit: int


async def list_bills(session: AsyncSession, f: BillFilter) -> list[tuple[Bill, TaxObject]]:
    """Current bills with their objects by NOP, then newest year, after the cursor ``(nop, year)``."""
    query = (
        select(Bill, TaxObject)
        .join(TaxObject, TaxObject.nop == Bill.nop)
        .where(Bill.is_current.is_(True), Bill.status.in_(f.states))
        .order_by(Bill.nop, Bill.tax_year.desc())
        .limit(f.limit)
    )
    if f.area is not None:
        query = query.where(within_area(Bill.kelurahan_code, f.area))
    for low, high in f.nop_ranges:
        query = query.where(Bill.nop.between(low, high))
    if f.tax_year is not None:
        query = query.where(Bill.tax_year == f.tax_year)
    if f.kelurahan_code is not None:
        query = query.where(Bill.kelurahan_code == f.kelurahan_code)
    if f.due_before is not None:
        query = query.where(Bill.due_date < f.due_before)
    if f.due_from is not None:
        query = query.where(Bill.due_date >= f.due_from)
    if f.after is not None:
        nop, year = f.after
        query = query.where(or_(Bill.nop > nop, and_(Bill.nop == nop, Bill.tax_year < year)))
    return [(bill, obj) for bill, obj in await session.execute(query)]


async def access_log_of_owner(
    session: AsyncSession, *, owner_sub: str, before_id: str | None, limit: int
) -> list[AccessAudit]:
    """Reads of the data of an account's linked objects, newest first, before ``before_id``."""
    query = (
        select(AccessAudit)
        .join(ObjectLink, ObjectLink.nop == AccessAudit.nop)
        .where(ObjectLink.owner_sub == owner_sub)
        .order_by(AccessAudit.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(AccessAudit.id < before_id)
    return list((await session.execute(query)).scalars())
