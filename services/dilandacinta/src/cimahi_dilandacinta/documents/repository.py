"""Every SQL statement of issued documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.models import Document, DocumentNumberCounter

ACTIVE, SUPERSEDED = "active", "superseded"


async def next_number(session: AsyncSession, *, kind: str, year: int) -> int:
    """Take the next number of a document kind and year, without gaps.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on the counter row: on PostgreSQL it
    locks that row until the issuing transaction ends, so concurrent issuances queue and a
    rolled-back issuance gives its number back; on SQLite the write transaction is exclusive.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(DocumentNumberCounter)
        .values(kind=kind, year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=[DocumentNumberCounter.kind, DocumentNumberCounter.year],
            set_={"last_number": DocumentNumberCounter.last_number + 1},
        )
        .returning(DocumentNumberCounter.last_number)
    )
    result = await session.execute(stmt)
    return int(result.scalar_one())


def add_document(session: AsyncSession, document: Document) -> None:
    """Stage a new document (flushed by the caller)."""
    session.add(document)


async def get_document(session: AsyncSession, document_id: str) -> Document | None:
    """A document by id."""
    return await session.get(Document, document_id)


async def find_by_code(session: AsyncSession, code: str) -> Document | None:
    """The document with this (canonical) verification code, if any."""
    result = await session.execute(select(Document).where(Document.verification_code == code))
    return result.scalar_one_or_none()


def in_area(area: str) -> ColumnElement[bool]:
    """Documents of kelurahan in an officer's area (city, kecamatan or kelurahan code)."""
    return or_(Document.kelurahan_code == area, Document.kelurahan_code.startswith(area + "."))


async def list_documents(
    session: AsyncSession,
    *,
    owner_sub: str | None,
    area: str | None,
    before_id: str | None,
    limit: int,
) -> Sequence[Document]:
    """Newest first; filtered by owner and/or area (``None``: no such filter)."""
    stmt = select(Document)
    if owner_sub is not None:
        stmt = stmt.where(Document.owner_sub == owner_sub)
    if area is not None:
        stmt = stmt.where(in_area(area))
    if before_id is not None:
        stmt = stmt.where(Document.id < before_id)
    result = await session.execute(stmt.order_by(Document.id.desc()).limit(limit))
    return result.scalars().all()


async def mark_superseded(
    session: AsyncSession,
    *conditions: ColumnElement[bool],
    by_document_id: str | None,
    now: datetime,
) -> int:
    """Set the active documents matching ``conditions`` (never ``by_document_id`` itself) to
    superseded; returns how many changed."""
    stmt = (
        update(Document)
        .where(Document.status == ACTIVE, *conditions)
        .values(status=SUPERSEDED, superseded_by_id=by_document_id, status_changed_at=now)
        .execution_options(synchronize_session="fetch")
    )
    if by_document_id is not None:
        stmt = stmt.where(Document.id != by_document_id)
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]
