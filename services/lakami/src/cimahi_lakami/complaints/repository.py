"""Every SQL statement of complaints, their history and the Open311 API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from cimahi_lakami.complaints.workflow import AWAITING_ANSWER, AWAITING_VERIFICATION
from cimahi_lakami.models import Complaint, ComplaintHistory, Open311ApiKey, Upload


async def insert_complaint(session: AsyncSession, complaint: Complaint) -> bool:
    """Insert a new complaint; False (nothing written) when its tracking number is taken."""
    try:
        async with session.begin_nested():
            session.add(complaint)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def get_complaint(
    session: AsyncSession,
    tracking_no: str,
    *,
    for_update: bool = False,
    with_history: bool = False,
) -> Complaint | None:
    """A complaint by tracking number; ``for_update`` locks its row (PostgreSQL)."""
    stmt = select(Complaint).where(Complaint.tracking_no == tracking_no)
    if with_history:
        stmt = stmt.options(selectinload(Complaint.history))
    if for_update:
        stmt = stmt.with_for_update(of=Complaint)
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


async def load_history(session: AsyncSession, complaint: Complaint) -> None:
    """(Re)load the history of a complaint, e.g. after a step was added."""
    await session.refresh(complaint, attribute_names=["history"])


def _due_before(moment: datetime) -> object:
    return or_(
        and_(
            Complaint.status.in_([s.value for s in AWAITING_VERIFICATION]),
            Complaint.verify_due_at <= moment,
        ),
        and_(
            Complaint.status.in_([s.value for s in AWAITING_ANSWER]),
            Complaint.answer_due_at <= moment,
        ),
    )


async def list_complaints(
    session: AsyncSession,
    *,
    owner_sub: str | None,
    area: str | None,
    status: str | None,
    due_before: datetime | None,
    due_after: datetime | None,
    before_id: str | None,
    limit: int,
) -> Sequence[Complaint]:
    """Complaints newest first (keyset on the ULID id), by owner, area, status and deadline."""
    stmt = select(Complaint)
    if owner_sub is not None:
        stmt = stmt.where(Complaint.owner_sub == owner_sub)
    if area is not None:
        stmt = stmt.where(or_(Complaint.kelurahan_code == area, Complaint.kecamatan_code == area))
    if status is not None:
        stmt = stmt.where(Complaint.status == status)
    if due_before is not None:
        stmt = stmt.where(_due_before(due_before))  # type: ignore[arg-type]
    if due_after is not None:
        stmt = stmt.where(~_due_before(due_after))  # type: ignore[operator]
    if before_id is not None:
        stmt = stmt.where(Complaint.id < before_id)
    result = await session.execute(stmt.order_by(Complaint.id.desc()).limit(limit))
    return result.scalars().all()


async def list_public(
    session: AsyncSession,
    *,
    tracking_nos: Sequence[str] | None,
    category: str | None,
    start: datetime,
    end: datetime,
    statuses: Sequence[str] | None,
    limit: int,
) -> Sequence[Complaint]:
    """Public, not archived complaints filed in [start, end), newest first (Open311)."""
    stmt = select(Complaint).where(
        Complaint.public.is_(True),
        Complaint.status != "archived",
        Complaint.submitted_at >= start,
        Complaint.submitted_at < end,
    )
    if tracking_nos is not None:
        stmt = stmt.where(Complaint.tracking_no.in_(tracking_nos))
    if category is not None:
        stmt = stmt.where(Complaint.category_code == category)
    if statuses is not None:
        stmt = stmt.where(Complaint.status.in_(statuses))
    result = await session.execute(stmt.order_by(Complaint.submitted_at.desc()).limit(limit))
    return result.scalars().all()


def add_history(session: AsyncSession, entry: ComplaintHistory) -> None:
    """Record one step of a complaint."""
    session.add(entry)


async def find_api_key(session: AsyncSession, key_hash: str) -> Open311ApiKey | None:
    """The active API key with this hash."""
    result = await session.execute(
        select(Open311ApiKey).where(
            Open311ApiKey.key_hash == key_hash, Open311ApiKey.revoked_at.is_(None)
        )
    )
    return result.scalar_one_or_none()


async def list_api_keys(session: AsyncSession) -> Sequence[Open311ApiKey]:
    """Every API key (revoked ones too), oldest first."""
    result = await session.execute(select(Open311ApiKey).order_by(Open311ApiKey.id))
    return result.scalars().all()


async def get_api_key(
    session: AsyncSession, key_id: str, *, for_update: bool = False
) -> Open311ApiKey | None:
    """An API key by id (revoked or not); ``for_update`` locks its row (PostgreSQL)."""
    stmt = select(Open311ApiKey).where(Open311ApiKey.id == key_id)
    if for_update:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


async def find_api_key_by_name(session: AsyncSession, name: str) -> Open311ApiKey | None:
    """The API key with this name (revoked or not)."""
    result = await session.execute(select(Open311ApiKey).where(Open311ApiKey.name == name))
    return result.scalar_one_or_none()


async def insert_api_key(session: AsyncSession, key: Open311ApiKey) -> bool:
    """Store a new API key; False when its name is taken."""
    try:
        async with session.begin_nested():
            session.add(key)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def get_uploads(session: AsyncSession, upload_ids: Sequence[str]) -> dict[str, Upload]:
    """The uploads with these ids, by id (missing ids are absent)."""
    if not upload_ids:
        return {}
    result = await session.execute(select(Upload).where(Upload.id.in_(set(upload_ids))))
    return {upload.id: upload for upload in result.scalars()}
