"""SQL of applications: rows, history, lists by owner or area with deadline filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from cimahi_dilandacinta.models import Application, ApplicationHistory

# Statuses in which the Dinas owes the next step (the deadline runs).
OPEN_STATUSES = (
    "submitted",
    "resubmitted",
    "verified",
    "awaiting_decision",
    "processing",
    "awaiting_signature",
)


@dataclass(frozen=True)
class ListFilter:
    """What a list asks for."""

    owner_sub: str | None = None
    area: str | None = None
    status: str | None = None
    type_code: str | None = None
    due: str | None = None
    now: datetime | None = None
    due_soon_until: datetime | None = None
    limit: int = 50
    offset: int = 0


async def insert_application(session: AsyncSession, application: Application) -> bool:
    """Insert a new application; False when its tracking number is taken (retry another)."""
    try:
        async with session.begin_nested():
            session.add(application)
            await session.flush()
    except IntegrityError:
        return False
    return True


def add_history(session: AsyncSession, entry: ApplicationHistory) -> None:
    """Add a history row (flushed with the change)."""
    session.add(entry)


async def get_by_tracking_no(
    session: AsyncSession, tracking_no: str, *, for_update: bool = False
) -> Application | None:
    """An application with its history, or None."""
    query = (
        select(Application)
        .where(Application.tracking_no == tracking_no)
        .options(selectinload(Application.history))
    )
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def list_applications(session: AsyncSession, flt: ListFilter) -> list[Application]:
    """Applications matching ``flt``: owners newest first, officers by deadline."""
    query: Select[tuple[Application]] = select(Application)
    if flt.owner_sub is not None:
        query = query.where(Application.owner_sub == flt.owner_sub)
        query = query.order_by(Application.id.desc())
    else:
        if flt.area:
            query = query.where(
                (Application.kelurahan_code == flt.area)
                | Application.kelurahan_code.startswith(flt.area + ".")
            )
        query = query.order_by(Application.due_at, Application.id)
    if flt.status:
        query = query.where(Application.status == flt.status)
    if flt.type_code:
        query = query.where(Application.type_code == flt.type_code)
    if flt.due is not None and flt.now is not None:
        query = query.where(Application.status.in_(OPEN_STATUSES))
        if flt.due == "overdue":
            query = query.where(Application.due_at < flt.now)
        else:
            query = query.where(
                Application.due_at >= flt.now, Application.due_at <= flt.due_soon_until
            )
    query = query.limit(flt.limit + 1).offset(flt.offset)
    return list(await session.scalars(query))
