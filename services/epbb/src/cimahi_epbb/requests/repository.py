"""Every SQL statement of taxpayer requests: requests, their history, and the objects, links and
bills they concern."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.models import (
    Bill,
    ObjectLink,
    TaxObject,
    TaxObjectChange,
    TaxpayerRequest,
    TaxpayerRequestHistory,
)
from cimahi_epbb.requests.kinds import OPEN_STATUSES, UNDECIDED_STATUSES

UNPAID = "unpaid"


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What a list asks for (``owner_sub`` for a citizen, ``area`` for an officer)."""

    owner_sub: str | None = None
    area: str | None = None
    status: str | None = None
    kind: str | None = None
    due: str | None = None  # "overdue" | "due_soon"
    now: datetime | None = None
    due_soon_until: datetime | None = None
    limit: int = 50
    offset: int = 0


async def insert_request(session: AsyncSession, request: TaxpayerRequest) -> bool:
    """Insert a new request; False when its tracking number is taken (try another)."""
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def change_unless_duplicate(session: AsyncSession, change: Callable[[], None]) -> bool:
    """Apply ``change`` to loaded rows and write it; False when a unique index refused it.

    The savepoint begins before the change (beginning one flushes what is pending), so a refused
    change is undone alone and the session stays usable.
    """
    try:
        async with session.begin_nested():
            change()
            await session.flush()
    except IntegrityError:
        return False
    return True


async def get_request(
    session: AsyncSession, ref: str, *, for_update: bool = False
) -> TaxpayerRequest | None:
    """A request by its id or its tracking number, or None."""
    column = TaxpayerRequest.tracking_no if ref.startswith("PBB-") else TaxpayerRequest.id
    query = select(TaxpayerRequest).where(column == ref)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def history_of(session: AsyncSession, request_id: str) -> list[TaxpayerRequestHistory]:
    """A request's steps, oldest first."""
    rows = await session.scalars(
        select(TaxpayerRequestHistory)
        .where(TaxpayerRequestHistory.request_id == request_id)
        .order_by(TaxpayerRequestHistory.sequence)
    )
    return list(rows)


def add_history(session: AsyncSession, entry: TaxpayerRequestHistory) -> None:
    """Stage a history row (flushed with the change)."""
    session.add(entry)


async def list_requests(session: AsyncSession, flt: ListFilter) -> list[TaxpayerRequest]:
    """Requests matching ``flt`` (one more than ``limit``): owners newest first, officers by deadline."""
    query: Select[tuple[TaxpayerRequest]] = select(TaxpayerRequest)
    if flt.owner_sub is not None:
        query = query.where(TaxpayerRequest.owner_sub == flt.owner_sub).order_by(
            TaxpayerRequest.id.desc()
        )
    else:
        if flt.area:
            query = query.where(
                (TaxpayerRequest.kelurahan_code == flt.area)
                | TaxpayerRequest.kelurahan_code.startswith(flt.area + ".")
            )
        query = query.order_by(TaxpayerRequest.due_at, TaxpayerRequest.id)
    if flt.status:
        query = query.where(TaxpayerRequest.status == flt.status)
    if flt.kind:
        query = query.where(TaxpayerRequest.kind == flt.kind)
    if flt.due is not None and flt.now is not None:
        query = query.where(TaxpayerRequest.status.in_(OPEN_STATUSES))
        if flt.due == "overdue":
            query = query.where(TaxpayerRequest.due_at < flt.now)
        else:
            query = query.where(
                TaxpayerRequest.due_at >= flt.now, TaxpayerRequest.due_at <= flt.due_soon_until
            )
    query = query.limit(flt.limit + 1).offset(flt.offset)
    return list(await session.scalars(query))


async def open_request_about(
    session: AsyncSession, *, kind: str, nop: str, tax_year: int | None, exclude_id: str | None
) -> TaxpayerRequest | None:
    """An undecided request of the same kind about the same object (and year), if any."""
    query = select(TaxpayerRequest).where(
        TaxpayerRequest.kind == kind,
        TaxpayerRequest.nop == nop,
        TaxpayerRequest.status.in_(UNDECIDED_STATUSES),
    )
    if tax_year is not None:
        query = query.where(TaxpayerRequest.tax_year == tax_year)
    if exclude_id is not None:
        query = query.where(TaxpayerRequest.id != exclude_id)
    return await session.scalar(query.limit(1))


# --- objects, links, bills ---


async def linked_owner(session: AsyncSession, nop: str) -> str | None:
    """The account linked to an object, or None."""
    return await session.scalar(select(ObjectLink.owner_sub).where(ObjectLink.nop == nop))


async def remove_link(session: AsyncSession, nop: str) -> None:
    """Remove the object's account link (a change of taxpayer)."""
    await session.execute(delete(ObjectLink).where(ObjectLink.nop == nop))


async def get_object(
    session: AsyncSession, nop: str, *, for_update: bool = False
) -> TaxObject | None:
    """A tax object, or None."""
    query = select(TaxObject).where(TaxObject.nop == nop)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


def add_object_change(session: AsyncSession, change: TaxObjectChange) -> None:
    """Stage a row of the object's change history."""
    session.add(change)


async def current_bill(session: AsyncSession, nop: str, tax_year: int) -> Bill | None:
    """The current version of an object's bill of a year, or None."""
    return await session.scalar(
        select(Bill).where(Bill.nop == nop, Bill.tax_year == tax_year, Bill.is_current.is_(True))
    )


async def get_bill(session: AsyncSession, bill_id: str) -> Bill | None:
    """A bill version by id, or None."""
    return await session.get(Bill, bill_id)


async def current_unpaid_bills(session: AsyncSession, nop: str, from_year: int) -> list[Bill]:
    """An object's current unpaid bills of ``from_year`` and later, oldest year first."""
    rows = await session.scalars(
        select(Bill)
        .where(
            Bill.nop == nop,
            Bill.is_current.is_(True),
            Bill.status == UNPAID,
            Bill.tax_year >= from_year,
        )
        .order_by(Bill.tax_year)
    )
    return list(rows)


async def granted_percent(session: AsyncSession, nop: str, tax_year: int) -> int | None:
    """The percent of the latest approved reduction (pengurangan) of a bill, or None."""
    decision = await session.scalar(
        select(TaxpayerRequest.decision)
        .where(
            TaxpayerRequest.kind == "pengurangan",
            TaxpayerRequest.nop == nop,
            TaxpayerRequest.tax_year == tax_year,
            TaxpayerRequest.status == "approved",
        )
        .order_by(TaxpayerRequest.decided_at.desc(), TaxpayerRequest.id.desc())
        .limit(1)
    )
    return int(decision["percent"]) if decision else None
