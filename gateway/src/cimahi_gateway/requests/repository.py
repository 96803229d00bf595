"""Every SQL statement of the unified request status (projection writes and API reads)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Integer,
    Row,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    func,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session

from cimahi_gateway.requests.models import TimelineEntry, TrackedRequest
from cimahi_shared.db import UTCDateTime
from cimahi_shared.events.lifecycle import UnifiedStatus

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
    """Which requests a caller may see: their own, an agency's area, kecamatan or city, or all."""

    owner_sub: str | None = None
    agency: str | None = None
    area: str | None = None
    kecamatan: str | None = None
    city_wide: bool = False  # every request of ``agency`` (a city-wide officer)
    everything: bool = False


# --- API reads: one statement per call (no transaction needed), built once per query shape ---

# The columns of a list item (schemas.RequestSummary), in the order of the response.
SUMMARY_COLUMNS = (
    TrackedRequest.tracking_no,
    TrackedRequest.agency,
    TrackedRequest.request_kind,
    TrackedRequest.title,
    TrackedRequest.area,
    TrackedRequest.status,
    TrackedRequest.agency_status,
    TrackedRequest.submitted_at,
    TrackedRequest.updated_at,
    TrackedRequest.due_at,
)
SUMMARY_FIELDS: tuple[str, ...] = tuple(column.key for column in SUMMARY_COLUMNS)
# The timeline columns of a detail row (schemas.TimelineEntryRead), after the summary columns.
TIMELINE_FIELDS = ("sequence", "status", "agency_status", "note", "occurred_at")

# What the read statements are and give (SQLAlchemy 2.1 types rows by their column types).
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

# Visibility scopes. An officer's scope (agency + kelurahan, or agency + kecamatan) has one index,
# (scope..., status, submitted_at, tracking_no): every officer list reads one range per status.
# It is the only index starting with the scope's columns, so the planner has no other choice even
# on a table it has no statistics of (autovacuum off, a fresh deployment).
# A city-wide officer's scope (the agency) reads the submission index backwards, skipping other
# agencies' rows: an agency with a city-wide officer (Disdukcapil) holds a large share of them.
_OWNER, _AREA, _KECAMATAN, _AGENCY, _ALL = "owner", "area", "kecamatan", "agency", "all"
_STATUS_INDEXED = (_AREA, _KECAMATAN)
# Every status a projected request can have (the projection writes only these).
_EVERY_STATUS = tuple(sorted(status.value for status in UnifiedStatus))


def _scope_of(scope: Visibility) -> tuple[str, dict[str, Any]] | None:
    """The scope's kind and its bound values; None when it shows nothing."""
    if scope.everything:
        return _ALL, {}
    if scope.owner_sub is not None:
        return _OWNER, {"scope_owner": scope.owner_sub}
    if scope.agency is not None and scope.kecamatan is not None:
        return _KECAMATAN, {"scope_agency": scope.agency, "scope_kecamatan": scope.kecamatan}
    if scope.agency is not None and scope.area is not None:
        return _AREA, {"scope_agency": scope.agency, "scope_area": scope.area}
    if scope.agency is not None and scope.city_wide:
        return _AGENCY, {"scope_agency": scope.agency}
    return None


def _visible(kind: str) -> ColumnElement[bool]:
    if kind == _OWNER:
        return TrackedRequest.owner_sub == bindparam("scope_owner")
    if kind == _KECAMATAN:
        return and_(
            TrackedRequest.agency == bindparam("scope_agency"),
            TrackedRequest.kecamatan == bindparam("scope_kecamatan"),
        )
    if kind == _AREA:
        return and_(
            TrackedRequest.agency == bindparam("scope_agency"),
            TrackedRequest.area == bindparam("scope_area"),
        )
    if kind == _AGENCY:
        return TrackedRequest.agency == bindparam("scope_agency")
    return true()


@dataclass(frozen=True, slots=True)
class _ListShape:
    scope: str
    agency: bool
    statuses: int
    merge_statuses: bool
    submitted_from: bool
    submitted_before: bool
    after: bool


@lru_cache(maxsize=256)
def _list_statement(shape: _ListShape) -> AnySelect:
    """The statement of one list shape; values are bound by name (see ``list_visible``).

    Built once per shape: no per-request SQL construction, and SQLAlchemy's compiled cache key
    is memoized on the statement object.
    """
    conditions = [_visible(shape.scope)]
    if shape.agency:
        conditions.append(TrackedRequest.agency == bindparam("agency"))
    if shape.submitted_from:
        conditions.append(TrackedRequest.submitted_at >= bindparam("submitted_from"))
    if shape.submitted_before:
        conditions.append(TrackedRequest.submitted_at < bindparam("submitted_before"))
    if shape.after:
        # A row comparison: PostgreSQL turns it into one index bound.
        conditions.append(
            tuple_(TrackedRequest.submitted_at, TrackedRequest.tracking_no)
            < tuple_(
                bindparam("after_at", type_=UTCDateTime()), bindparam("after_no", type_=String())
            )
        )
    # The page size is written into the SQL text (at most MAX_PAGE_SIZE + 1 variants): with a
    # known LIMIT, PostgreSQL's generic plan of the prepared statement costs what a custom plan
    # does, so it is planned once per connection instead of on every execution.
    limit = bindparam("limit", type_=Integer(), literal_execute=True)
    statuses: list[BindParameter[str]] = [
        bindparam(f"status_{i}", type_=String()) for i in range(shape.statuses)
    ]
    if shape.merge_statuses:
        # Several statuses (or all of them) of an officer's scope: one index range per status,
        # each cut at the page size, merged in order (a Merge Append reads each range only as
        # far as the page needs). Never a read of the whole scope, whatever the planner thinks.
        parts = [
            select(*SUMMARY_COLUMNS)
            .where(*conditions, TrackedRequest.status == status)
            .order_by(TrackedRequest.submitted_at.desc(), TrackedRequest.tracking_no.desc())
            .limit(limit)
            .subquery()
            for status in statuses
        ]
        merged = union_all(*(select(part) for part in parts)).subquery()
        return (
            select(merged)
            .order_by(merged.c.submitted_at.desc(), merged.c.tracking_no.desc())
            .limit(limit)
        )
    if len(statuses) == 1:
        conditions.append(TrackedRequest.status == statuses[0])
    elif statuses:
        conditions.append(TrackedRequest.status.in_(statuses))
    return (
        select(*SUMMARY_COLUMNS)
        .where(*conditions)
        .order_by(TrackedRequest.submitted_at.desc(), TrackedRequest.tracking_no.desc())
        .limit(limit)
    )


async def list_visible(
    conn: AsyncConnection,
    *,
    scope: Visibility,
    agency: str | None,
    statuses: Sequence[str],
    submitted_from: datetime | None,
    submitted_before: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[AnyRow]:
    """One page of visible requests (``SUMMARY_COLUMNS``), newest first, after ``after``."""
    found = _scope_of(scope)
    if found is None:
        return []
    kind, params = found
    if agency is not None and scope.agency is not None:
        if agency != scope.agency:
            return []
        agency = None  # already part of the scope
    wanted = sorted(set(statuses))
    if not wanted and kind in _STATUS_INDEXED:
        wanted = list(_EVERY_STATUS)
    shape = _ListShape(
        scope=kind,
        agency=agency is not None,
        statuses=len(wanted),
        merge_statuses=len(wanted) > 1 and kind in _STATUS_INDEXED,
        submitted_from=submitted_from is not None,
        submitted_before=submitted_before is not None,
        after=after is not None,
    )
    params["limit"] = limit
    params.update((f"status_{i}", status) for i, status in enumerate(wanted))
    if agency is not None:
        params["agency"] = agency
    if submitted_from is not None:
        params["submitted_from"] = submitted_from
    if submitted_before is not None:
        params["submitted_before"] = submitted_before
    if after is not None:
        params["after_at"], params["after_no"] = after
    result = await conn.execute(_list_statement(shape), params)
    return result.all()


@lru_cache(maxsize=8)
def _detail_statement(kind: str) -> AnySelect:
    return (
        select(
            *SUMMARY_COLUMNS,
            TimelineEntry.sequence,
            TimelineEntry.status.label("timeline_status"),
            TimelineEntry.agency_status.label("timeline_agency_status"),
            TimelineEntry.note,
            TimelineEntry.occurred_at,
        )
        .select_from(TrackedRequest)
        .outerjoin(TimelineEntry, TimelineEntry.tracking_no == TrackedRequest.tracking_no)
        .where(TrackedRequest.tracking_no == bindparam("tracking_no"), _visible(kind))
        .order_by(TimelineEntry.sequence)
    )


async def get_visible(
    conn: AsyncConnection, *, scope: Visibility, tracking_no: str
) -> Sequence[AnyRow]:
    """The request with its timeline if it exists and the caller may see it, else no rows.

    One statement (one snapshot): ``SUMMARY_COLUMNS`` then ``TIMELINE_FIELDS``, one row per
    timeline entry in sequence order (a single row of NULL timeline columns when it has none).
    """
    found = _scope_of(scope)
    if found is None:
        return []
    kind, params = found
    params["tracking_no"] = tracking_no
    result = await conn.execute(_detail_statement(kind), params)
    return result.all()


# --- projection writes (synchronous: they run inside the session's commit, see projection.py) ---


def _insert_for(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"unsupported database dialect: {name}")


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _array_type(column: Any) -> Any:
    if isinstance(column.type, Integer):
        return Integer()
    if isinstance(column.type, UTCDateTime):
        return DateTime(timezone=True)  # the values are already aware UTC datetimes
    return String()


def _unnest_insert(table: Any) -> Any:
    """``INSERT INTO table SELECT * FROM unnest(:col1, :col2, ...)``: one array per column.

    A whole batch in one statement with one parameter per column: the statement text does not
    depend on the batch size (prepared once), and PostgreSQL inserts the rows in array order.
    """
    names = [c.name for c in table.columns]
    rows = (
        func.unnest(
            *(bindparam(name, type_=postgresql.ARRAY(_array_type(table.c[name]))) for name in names)
        )
        .table_valued(*names)
        .render_derived()
    )
    return postgresql.insert(table).from_select(names, select(*(rows.c[name] for name in names)))


def _columns(table: Any, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    return {c.name: [row[c.name] for row in rows] for c in table.columns}


def _upsert_current_stmt(stmt: Any) -> Any:
    new, old = stmt.excluded, TrackedRequest.__table__.c
    newer = new.last_sequence > old.last_sequence
    earlier = new.submitted_at < old.submitted_at
    updates: dict[str, Any] = {col: case((newer, new[col]), else_=old[col]) for col in _LATEST_WINS}
    updates["submitted_at"] = case((earlier, new.submitted_at), else_=old.submitted_at)
    return stmt.on_conflict_do_update(
        index_elements=[old.tracking_no],
        set_=updates,
        where=and_(old.agency == new.agency, newer | earlier),
    )


_PG_UPSERT_CURRENT = _upsert_current_stmt(_unnest_insert(TrackedRequest.__table__)).returning(
    TrackedRequest.__table__.c.tracking_no
)
_PG_INSERT_TIMELINE = _unnest_insert(TimelineEntry.__table__).on_conflict_do_nothing(
    index_elements=["tracking_no", "sequence"]
)


def upsert_current(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert or advance current rows (one row per tracking number, sorted to keep lock order).

    A row only moves to a strictly higher ``last_sequence``; ``submitted_at`` only moves earlier;
    a row of one agency is never touched by another agency's event.

    Returns tracking numbers known to belong to their row's agency now (inserted or advanced by
    this statement; PostgreSQL only). The others were left alone: stale, or another agency's.
    """
    if not rows:
        return set()
    table = TrackedRequest.__table__
    if _postgres(session):
        result = session.execute(_PG_UPSERT_CURRENT, _columns(table, rows))
        return set(result.scalars())
    # One parameter set per row: the statement compiles once (cached) and the driver batches it.
    session.execute(_upsert_current_stmt(_insert_for(session)(table)), list(rows))
    return set()


def agencies_of(session: Session, tracking_nos: Sequence[str]) -> dict[str, str]:
    """The owning agency of each of these tracking numbers that exists."""
    found: dict[str, str] = {}
    if not tracking_nos:
        return found
    if _postgres(session):
        # One array parameter: a primary-key lookup whatever the number (and the statistics).
        result = session.execute(
            select(TrackedRequest.tracking_no, TrackedRequest.agency).where(
                TrackedRequest.tracking_no == any_(_TRACKING_NOS)
            ),
            {"tracking_nos": list(tracking_nos)},
        )
        return {row.tracking_no: row.agency for row in result}
    for start in range(0, len(tracking_nos), _CHUNK):
        part = tracking_nos[start : start + _CHUNK]
        result = session.execute(
            select(TrackedRequest.tracking_no, TrackedRequest.agency).where(
                TrackedRequest.tracking_no.in_(part)
            )
        )
        found.update({row.tracking_no: row.agency for row in result})
    return found


_TRACKING_NOS = bindparam("tracking_nos", type_=postgresql.ARRAY(String()))


def insert_timeline(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add timeline entries; an entry already present for (tracking_no, sequence) is kept."""
    if not rows:
        return
    if _postgres(session):
        session.execute(_PG_INSERT_TIMELINE, _columns(TimelineEntry.__table__, rows))
        return
    stmt = _insert_for(session)(TimelineEntry.__table__)
    stmt = stmt.on_conflict_do_nothing(index_elements=["tracking_no", "sequence"])
    session.execute(stmt, list(rows))
