"""Every SQL statement of letter requests, their history, numbers and the access log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from cimahi_lakami.models import (
    AccessAudit,
    LetterNumberCounter,
    LetterRequest,
    LetterRequestHistory,
)


async def insert_request(session: AsyncSession, request: LetterRequest) -> bool:
    """Insert a new request; False (nothing written) when its tracking number is already taken."""
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def get_request(
    session: AsyncSession,
    tracking_no: str,
    *,
    for_update: bool = False,
    with_history: bool = False,
) -> LetterRequest | None:
    """A request by tracking number with its letter type; ``for_update`` locks its row (PostgreSQL)."""
    stmt = (
        select(LetterRequest)
        .where(LetterRequest.tracking_no == tracking_no)
        .options(selectinload(LetterRequest.letter_type))
    )
    if with_history:
        stmt = stmt.options(selectinload(LetterRequest.history))
    if for_update:
        stmt = stmt.with_for_update(of=LetterRequest)
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


async def load_history(session: AsyncSession, request: LetterRequest) -> None:
    """(Re)load the history of a request, e.g. after a step was added."""
    await session.refresh(request, attribute_names=["history"])


async def list_requests(
    session: AsyncSession,
    *,
    owner_sub: str | None,
    kelurahan_code: str | None,
    status: str | None,
    letter_type: str | None,
    before_id: str | None,
    limit: int,
) -> Sequence[LetterRequest]:
    """Requests newest first (keyset on the ULID id), filtered by owner, kelurahan, status, type."""
    stmt = select(LetterRequest).options(selectinload(LetterRequest.letter_type))
    if owner_sub is not None:
        stmt = stmt.where(LetterRequest.owner_sub == owner_sub)
    if kelurahan_code is not None:
        stmt = stmt.where(LetterRequest.kelurahan_code == kelurahan_code)
    if status is not None:
        stmt = stmt.where(LetterRequest.status == status)
    if letter_type is not None:
        stmt = stmt.where(LetterRequest.letter_type_code == letter_type)
    if before_id is not None:
        stmt = stmt.where(LetterRequest.id < before_id)
    result = await session.execute(stmt.order_by(LetterRequest.id.desc()).limit(limit))
    return result.scalars().all()


def add_history(session: AsyncSession, entry: LetterRequestHistory) -> None:
    """Record one step of a request."""
    session.add(entry)


async def next_letter_number(session: AsyncSession, *, kelurahan_code: str, year: int) -> int:
    """Take the next letter number of a kelurahan and year, without gaps.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the counter row: on PostgreSQL it
    locks that row until the approving transaction ends, so concurrent approvals queue and a
    rolled-back approval gives its number back; on SQLite the write transaction is exclusive.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(LetterNumberCounter)
        .values(kelurahan_code=kelurahan_code, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[LetterNumberCounter.kelurahan_code, LetterNumberCounter.year],
            set_={"last_number": LetterNumberCounter.last_number + 1},
        )
        .returning(LetterNumberCounter.last_number)
    )
    result = await session.execute(stmt)
    return int(result.scalar_one())


def add_access_audits(session: AsyncSession, entries: Sequence[AccessAudit]) -> None:
    """Write rows to the access log (same transaction as the read)."""
    session.add_all(entries)
