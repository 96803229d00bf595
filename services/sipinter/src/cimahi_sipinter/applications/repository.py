"""Every SQL statement of the applicant's side and the reads of applications.

The lists are one query each: an owner's list by business (``ix_applications_business_id_
created_at``), the officers' queue by status and deadline (``ix_applications_status_due_at``;
the area filter on ``kelurahan_code`` - ``ix_applications_kelurahan_code_status`` - narrows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import Select, case, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_sipinter.applications.states import CLOCK_RUNNING, FINAL
from cimahi_sipinter.models import Application, Business, BusinessOwner, Permit


async def business(session: AsyncSession, business_id: str) -> Business | None:
    """A business by id."""
    return await session.get(Business, business_id)


async def valid_permit(
    session: AsyncSession, *, business_id: str, permit_type: str, number: str, today: date
) -> Permit | None:
    """The business's permit of ``permit_type`` with ``number``, if it is in force ``today``."""
    query = select(Permit).where(
        Permit.number == number,
        Permit.business_id == business_id,
        Permit.permit_type == permit_type,
        Permit.status == "valid",
        or_(Permit.valid_until.is_(None), Permit.valid_until >= today),
    )
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class ListFilter:
    """What a list shows: whose applications (owner or area), which ones, which page."""

    owner_sub: str | None = None
    area: str | None = None
    status: str | None = None
    stage: str | None = None
    permit_type: str | None = None
    business_id: str | None = None
    assigned_to: str | None = None
    unassigned: bool = False
    due: Literal["overdue", "due_soon"] | None = None
    now: datetime | None = None
    due_soon_until: datetime | None = None
    limit: int = 20
    offset: int = 0


_RUNNING = sorted(CLOCK_RUNNING)
_QUEUE_BUCKET = case(
    (Application.status.in_(_RUNNING), 0), (Application.status.in_(sorted(FINAL)), 2), else_=1
)
"""Clock running first, then paused (returned, awaiting payment), decided last."""


def _whose(query: Select[Application], flt: ListFilter) -> Select[Application]:
    """Owners: their businesses' applications, newest first. Officers (and admins, area None):
    not drafts, in the queue's order."""
    if flt.owner_sub is not None:
        owned = select(BusinessOwner.business_id).where(BusinessOwner.owner_sub == flt.owner_sub)
        return query.where(Application.business_id.in_(owned)).order_by(
            Application.created_at.desc(), Application.id.desc()
        )
    query = query.where(Application.status != "draft")
    if flt.area is not None:
        query = query.where(
            or_(
                Application.kelurahan_code == flt.area,
                Application.kelurahan_code.startswith(flt.area + "."),
            )
        )
    return query.order_by(_QUEUE_BUCKET, Application.due_at, Application.id)


def _filtered(query: Select[Application], flt: ListFilter) -> Select[Application]:
    """The list's filters (status, stage, type, business, assignment, deadline)."""
    if flt.status is not None:
        query = query.where(Application.status == flt.status)
    if flt.stage is not None:
        query = query.where(Application.stage == flt.stage)
    if flt.permit_type is not None:
        query = query.where(Application.permit_type == flt.permit_type)
    if flt.business_id is not None:
        query = query.where(Application.business_id == flt.business_id)
    if flt.assigned_to is not None:
        query = query.where(Application.assigned_officer_sub == flt.assigned_to)
    if flt.unassigned:
        query = query.where(Application.assigned_officer_sub.is_(None))
    if flt.due is not None and flt.now is not None:
        query = query.where(Application.status.in_(_RUNNING))
        if flt.due == "overdue":
            query = query.where(Application.due_at < flt.now)
        else:
            query = query.where(
                Application.due_at >= flt.now, Application.due_at < flt.due_soon_until
            )
    return query


async def list_applications(session: AsyncSession, flt: ListFilter) -> list[Application]:
    """One page (``limit`` + 1 rows: the extra one tells there is a next page)."""
    query = _filtered(_whose(select(Application), flt), flt)
    query = query.limit(flt.limit + 1).offset(flt.offset)
    return list((await session.execute(query)).scalars())
