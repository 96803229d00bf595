"""Every SQL statement of the unified request status (projection writes and API reads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, literal, select, true, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cimahi_gateway.requests.models import TimelineEntry, TrackedRequest
from cimahi_shared.db import UTCDateTime

# Tracking numbers per IN list: far below PostgreSQL's 32,767 and SQLite's 32,766 parameters.
_CHUNK = 1000

# Columns taken from the event with the highest sequence (agency never changes: see upsert).
_LATEST_WINS = (
    "request_kind",
    "title",
    "owner_sub",
    "area",
    "kecamatan",
    "agency_status",
    "status",
    "last_sequence",
    "updated_at",
    "due_at",
)


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which requests a caller may see: their own, an agency's area or kecamatan, or all."""

    owner_sub: str | None = None
    agency: str | None = None
    area: str | None = None
    kecamatan: str | None = None
    everything: bool = False


def _visible(scope: Visibility) -> ColumnElement[bool]:
    if scope.everything:
        return true()
    if scope.owner_sub is not None:
        return TrackedRequest.owner_sub == scope.owner_sub
    if scope.agency is not None and scope.kecamatan is not None:
        return and_(
            TrackedRequest.agency == scope.agency, TrackedRequest.kecamatan == scope.kecamatan
        )
    if scope.agency is not None and scope.area is not None:
        return and_(TrackedRequest.agency == scope.agency, TrackedRequest.area == scope.area)
    return literal(False)


async def list_visible(
    session: AsyncSession,
    *,
    scope: Visibility,
    agency: str | None,
    statuses: Sequence[str],
    submitted_from: datetime | None,
    submitted_before: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[TrackedRequest]:
    """One page of visible requests, newest first, starting after the ``after`` keyset position."""
    stmt = select(TrackedRequest).where(_visible(scope))
    if agency is not None:
        stmt = stmt.where(TrackedRequest.agency == agency)
    if statuses:
        stmt = stmt.where(TrackedRequest.status.in_(statuses))
    if submitted_from is not None:
        stmt = stmt.where(TrackedRequest.submitted_at >= submitted_from)
    if submitted_before is not None:
        stmt = stmt.where(TrackedRequest.submitted_at < submitted_before)
    if after is not None:
        after_at, after_no = after
        # A row comparison: PostgreSQL turns it into one index bound.
        stmt = stmt.where(
            tuple_(TrackedRequest.submitted_at, TrackedRequest.tracking_no)
            < tuple_(literal(after_at, UTCDateTime()), literal(after_no, String()))
        )
    stmt = stmt.order_by(
        TrackedRequest.submitted_at.desc(), TrackedRequest.tracking_no.desc()
    ).limit(limit)
    return list((await session.scalars(stmt)).all())


async def get_visible(
    session: AsyncSession, *, scope: Visibility, tracking_no: str
) -> TrackedRequest | None:
    """The request if it exists and the caller may see it (one answer for both cases)."""
    stmt = select(TrackedRequest).where(TrackedRequest.tracking_no == tracking_no, _visible(scope))
    return (await session.scalars(stmt)).one_or_none()


async def timeline_of(session: AsyncSession, tracking_no: str) -> list[TimelineEntry]:
    """A request's timeline in sequence order."""
    stmt = (
        select(TimelineEntry)
        .where(TimelineEntry.tracking_no == tracking_no)
        .order_by(TimelineEntry.sequence)
    )
    return list((await session.scalars(stmt)).all())


# --- projection writes (synchronous: they run inside the session's commit, see projection.py) ---


def _insert_for(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"unsupported database dialect: {name}")


def upsert_current(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or advance current rows (one row per tracking number, sorted to keep lock order).

    A row only moves to a strictly higher ``last_sequence``; ``submitted_at`` only moves earlier;
    a row of one agency is never touched by another agency's event.
    """
    if not rows:
        return
    table = TrackedRequest.__table__
    stmt = _insert_for(session)(table)
    new, old = stmt.excluded, table.c
    newer = new.last_sequence > old.last_sequence
    earlier = new.submitted_at < old.submitted_at
    updates: dict[str, Any] = {col: case((newer, new[col]), else_=old[col]) for col in _LATEST_WINS}
    updates["submitted_at"] = case((earlier, new.submitted_at), else_=old.submitted_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[old.tracking_no],
        set_=updates,
        where=and_(old.agency == new.agency, newer | earlier),
    )
    # One parameter set per row: the statement compiles once (cached) and the driver batches it.
    session.execute(stmt, list(rows))


def agencies_of(session: Session, tracking_nos: Sequence[str]) -> dict[str, str]:
    """The owning agency of each of these tracking numbers that exists."""
    found: dict[str, str] = {}
    for start in range(0, len(tracking_nos), _CHUNK):
        part = tracking_nos[start : start + _CHUNK]
        result = session.execute(
            select(TrackedRequest.tracking_no, TrackedRequest.agency).where(
                TrackedRequest.tracking_no.in_(part)
            )
        )
        found.update({row.tracking_no: row.agency for row in result})
    return found


def insert_timeline(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add timeline entries; an entry already present for (tracking_no, sequence) is kept."""
    if not rows:
        return
    stmt = _insert_for(session)(TimelineEntry.__table__)
    stmt = stmt.on_conflict_do_nothing(index_elements=["tracking_no", "sequence"])
    session.execute(stmt, list(rows))
