"""Every SQL statement of letter requests, their history, attachments, numbers and the access log."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from cimahi_lakami.models import (
    AccessAudit,
    LetterNumberCounter,
    LetterRequest,
    LetterRequestHistory,
    LetterType,
    Upload,
)
from cimahi_shared.db import UTCDateTime
from cimahi_shared.events.tables import outbox

# --- the hot paths (submit, read one) in Core: no unit of work, statements built once ---------

_requests: Table = LetterRequest.__table__  # type: ignore[assignment]
_history: Table = LetterRequestHistory.__table__  # type: ignore[assignment]
_types: Table = LetterType.__table__  # type: ignore[assignment]
_uploads: Table = Upload.__table__  # type: ignore[assignment]
LETTER_REQUEST_KIND = "letter_request"  # uploads.attached_kind of a request's attachments


class LetterTypeView:
    """What a request needs of its letter type (read with the request, not as an ORM object)."""

    __slots__ = (
        "active",
        "classification_code",
        "code",
        "fields",
        "name",
        "needs_kecamatan",
        "requirements",
        "time_limit_working_days",
    )

    code: str
    name: str
    fields: list[dict[str, Any]]
    requirements: list[dict[str, Any]]
    needs_kecamatan: bool
    classification_code: str
    active: bool
    time_limit_working_days: int

    def __init__(self, values: Mapping[Any, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, values[name])


class HistoryView:
    """One history row, as plain attributes (same names as ``LetterRequestHistory``)."""

    id: str
    request_id: str
    sequence: int
    level: str
    action: str
    from_status: str | None
    to_status: str
    actor_sub: str
    actor_role: str
    note: str | None
    occurred_at: datetime

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self.__dict__.update(values)


class AttachmentView:
    """An upload attached to a request: what its readers may know of it (no owner data)."""

    __slots__ = ("content_type", "id", "original_filename", "requirement", "sha256", "size_bytes")

    id: str
    requirement: str | None
    content_type: str
    size_bytes: int
    sha256: str
    original_filename: str | None

    def __init__(self, values: Mapping[Any, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, values[name])


_ATTACHMENT_COLUMNS = AttachmentView.__slots__
_GET_ATTACHMENTS = (
    select(*(_uploads.c[name] for name in _ATTACHMENT_COLUMNS))
    .where(
        _uploads.c.attached_kind == LETTER_REQUEST_KIND,
        _uploads.c.attached_id == bindparam("request_id"),
    )
    .order_by(_uploads.c.id)
)
_PG_GET_ATTACHMENTS = (
    "SELECT "
    + ", ".join('"' + name + '"' for name in _ATTACHMENT_COLUMNS)
    + f" FROM uploads WHERE attached_kind = '{LETTER_REQUEST_KIND}' AND attached_id = $1"
    " ORDER BY id"
)


class RequestView:
    """A request with its letter type and history, as plain attributes (names of ``LetterRequest``)."""

    id: str
    tracking_no: str
    letter_type_code: str
    owner_sub: str
    nik_encrypted: str
    nik_hash: str
    nik_masked: str
    no_kk_encrypted: str
    no_kk_hash: str
    no_kk_masked: str
    full_name: str
    kelurahan_code: str
    kecamatan_code: str
    needs_kecamatan: bool
    level: str
    rt: str
    rw: str
    cover_letter_number: str
    cover_letter_date: date
    purpose: str
    fields: dict[str, Any]
    status: str
    sequence: int
    submitted_at: datetime
    updated_at: datetime
    due_at: datetime | None
    letter_number: str | None
    issued_on: date | None
    approved_at: datetime | None
    signer_sub: str | None
    signer_name: str | None
    signer_title: str | None
    verification_code: str | None
    revoked_at: datetime | None
    letter_type: LetterTypeView
    history: list[HistoryView]
    attachments: list[AttachmentView]

    def __init__(
        self,
        values: Mapping[Any, Any],
        letter_type: LetterTypeView,
        history: list[HistoryView],
        attachments: list[AttachmentView] | None = None,
    ) -> None:
        self.__dict__.update(values)
        self.letter_type = letter_type
        self.history = history
        self.attachments = attachments or []


REQUEST_COLUMNS = tuple(c.key for c in _requests.columns)
_TYPE_COLUMNS = LetterTypeView.__slots__
_TYPE_LABEL = "lt_"

_GET_TYPE = select(*(_types.c[name] for name in _TYPE_COLUMNS)).where(
    _types.c.code == bindparam("code")
)
_GET_REQUEST = (
    select(
        *_requests.columns,
        *(_types.c[name].label(_TYPE_LABEL + name) for name in _TYPE_COLUMNS),
    )
    .join_from(_requests, _types, _requests.c.letter_type_code == _types.c.code)
    .where(_requests.c.tracking_no == bindparam("tracking_no"))
)
_GET_HISTORY = (
    select(*_history.columns)
    .where(_history.c.request_id == bindparam("request_id"))
    .order_by(_history.c.sequence)
)
_INSERT_HISTORY = _history.insert()
_INSERT_REQUEST = {
    dialect: insert(_requests)
    .on_conflict_do_nothing(index_elements=[_requests.c.tracking_no])
    .returning(_requests.c.id)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def find_letter_type(session: AsyncSession, code: str) -> LetterTypeView | None:
    """A letter type by code (active or not), as a plain view."""
    conn = await session.connection()
    row = (await conn.execute(_GET_TYPE, {"code": code})).first()
    return LetterTypeView(row._mapping) if row is not None else None


def _q(name: str) -> str:
    return '"' + name + '"'


def _utc_columns(table: Table, names: Sequence[str]) -> tuple[str, ...]:
    return tuple(n for n in names if isinstance(table.c[n].type, UTCDateTime))


_HISTORY_COLUMNS = tuple(c.key for c in _history.columns)
# One round trip: the request and its letter type on every row, one row per history step.
_PG_GET_REQUEST = (
    "SELECT "
    + ", ".join(f"r.{_q(n)}" for n in REQUEST_COLUMNS)
    + ", "
    + ", ".join(f"t.{_q(n)}" for n in _TYPE_COLUMNS)
    + ", "
    + ", ".join(f"h.{_q(n)}" for n in _HISTORY_COLUMNS)
    + " FROM letter_requests AS r JOIN letter_types AS t ON t.code = r.letter_type_code"
    " LEFT JOIN letter_request_history AS h ON h.request_id = r.id"
    " WHERE r.tracking_no = $1 ORDER BY h.sequence"
)
_REQUEST_UTC = _utc_columns(_requests, REQUEST_COLUMNS)
_REQUEST_ID_INDEX = REQUEST_COLUMNS.index("id")
_HISTORY_UTC = _utc_columns(_history, _HISTORY_COLUMNS)


def _as_utc(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """What ``UTCDateTime`` makes of a timestamp read from the database."""
    for name in names:
        value = values[name]
        if value is not None:
            values[name] = value.astimezone(UTC)
    return values


def autocommit_engine(session: AsyncSession) -> AsyncEngine | None:
    """The PostgreSQL engine of a session that has not begun a transaction yet, else None.

    Reads that need no transaction of their own (each statement sees committed data, as it
    would in the request's READ COMMITTED transaction) then go straight to a pooled asyncpg
    connection: no BEGIN/COMMIT round trips, no SQLAlchemy statement machinery.
    """
    bind = session.bind
    if (
        isinstance(bind, AsyncEngine)
        and bind.dialect.name == "postgresql"
        and not session.in_transaction()
    ):
        return bind
    return None


async def _pg_read_request(engine: AsyncEngine, tracking_no: str) -> RequestView | None:
    async with engine.connect() as conn:
        raw: Any = (await conn.get_raw_connection()).driver_connection
        rows = await raw.fetch(_PG_GET_REQUEST, tracking_no)
        if not rows:
            return None
        attachments = [
            AttachmentView(dict(row.items()))
            # By position: the joined tables' columns are called "id" too.
            for row in await raw.fetch(_PG_GET_ATTACHMENTS, rows[0][_REQUEST_ID_INDEX])
        ]
    # asyncpg returns the columns in SELECT order: the request's, the letter type's, the step's.
    n = len(REQUEST_COLUMNS)
    m = n + len(_TYPE_COLUMNS)
    first = list(rows[0].values())
    history = []
    for row in rows:
        step = list(row.values())[m:]
        if step[0] is not None:  # LEFT JOIN: a request without steps has one row of NULLs
            history.append(
                HistoryView(_as_utc(dict(zip(_HISTORY_COLUMNS, step, strict=True)), _HISTORY_UTC))
            )
    return RequestView(
        _as_utc(dict(zip(REQUEST_COLUMNS, first[:n], strict=True)), _REQUEST_UTC),
        LetterTypeView(dict(zip(_TYPE_COLUMNS, first[n:m], strict=True))),
        history,
        attachments,
    )


async def read_request(session: AsyncSession, tracking_no: str) -> RequestView | None:
    """A request with its letter type and history (two statements, no ORM objects)."""
    engine = autocommit_engine(session)
    if engine is not None:
        return await _pg_read_request(engine, tracking_no)
    conn = await session.connection()
    row = (await conn.execute(_GET_REQUEST, {"tracking_no": tracking_no})).first()
    if row is None:
        return None
    values = row._mapping
    letter_type = LetterTypeView({name: values[_TYPE_LABEL + name] for name in _TYPE_COLUMNS})
    history = [
        HistoryView(h._mapping)
        for h in await conn.execute(_GET_HISTORY, {"request_id": values["id"]})
    ]
    attachments = [
        AttachmentView(a._mapping)
        for a in await conn.execute(_GET_ATTACHMENTS, {"request_id": values["id"]})
    ]
    return RequestView(
        {name: values[name] for name in REQUEST_COLUMNS}, letter_type, history, attachments
    )


async def load_attachments(session: AsyncSession, request_id: str) -> list[AttachmentView]:
    """The uploads attached to a request, oldest first."""
    conn = await session.connection()
    rows = await conn.execute(_GET_ATTACHMENTS, {"request_id": request_id})
    return [AttachmentView(row._mapping) for row in rows]


def _pg_type(table: Table, name: str) -> str:
    """The column's type for a parameter cast, without a length: ``::VARCHAR(64)`` would cut a
    longer value silently, while the insert's assignment to the column refuses it."""
    return re.sub(r"\(\d+\)", "", _compiled_type(table, name))


def _compiled_type(table: Table, name: str) -> str:
    return str(table.c[name].type.compile(dialect=postgresql.dialect()))  # type: ignore[no-untyped-call]


_PG_GET_TYPE = (
    "SELECT " + ", ".join(_q(n) for n in _TYPE_COLUMNS) + " FROM letter_types WHERE code = $1"
)
_OUTBOX_COLUMNS = ("id", "subject", "payload", "created_at", "attempts")


def _pg_submission_sql() -> str:
    """One statement writing a new request, its first history row and its two outbox events.

    Nothing is written when the tracking number is taken (the request insert returns no row, so
    the history and outbox inserts select nothing); a single statement is atomic on its own.
    """
    n = 0

    def params(table: Table, names: Sequence[str]) -> str:
        nonlocal n
        out = []
        for name in names:
            n += 1
            out.append(f"${n}::{_pg_type(table, name)}")
        return ", ".join(out)

    request_params = params(_requests, REQUEST_COLUMNS)
    history_params = params(_history, _HISTORY_COLUMNS)
    outbox_rows = [f"({params(outbox, _OUTBOX_COLUMNS)})" for _ in range(2)]
    cols = ", ".join
    return (
        f"WITH r AS (INSERT INTO letter_requests ({cols(map(_q, REQUEST_COLUMNS))})"
        f" VALUES ({request_params}) ON CONFLICT (tracking_no) DO NOTHING RETURNING id),"
        f" h AS (INSERT INTO letter_request_history ({cols(map(_q, _HISTORY_COLUMNS))})"
        f" SELECT {history_params} FROM r),"
        f" o AS (INSERT INTO outbox ({cols(map(_q, _OUTBOX_COLUMNS))})"
        f" SELECT v.* FROM (VALUES {', '.join(outbox_rows)}) AS v"
        f" WHERE EXISTS (SELECT 1 FROM r))"
        " SELECT id FROM r"
    )


_PG_SUBMISSION = _pg_submission_sql()


@asynccontextmanager
async def pg_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled asyncpg connection outside any transaction (each statement autocommitted)."""
    async with engine.connect() as conn:
        yield (await conn.get_raw_connection()).driver_connection


async def pg_find_letter_type(raw: Any, code: str) -> LetterTypeView | None:
    """``find_letter_type`` on an autocommitting asyncpg connection."""
    row = await raw.fetchrow(_PG_GET_TYPE, code)
    return LetterTypeView(dict(row.items())) if row is not None else None


async def pg_insert_submission(
    raw: Any,
    request: Mapping[str, Any],
    history: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
) -> bool:
    """Write a new request with its history row and outbox events in one statement (PostgreSQL).

    False (nothing written) when its tracking number is already taken.
    """
    args: list[Any] = []
    for name in REQUEST_COLUMNS:
        value = request[name]
        args.append(json.dumps(value) if name == "fields" else value)
    args += [history[name] for name in _HISTORY_COLUMNS]
    for event in events:
        args += [event[name] for name in _OUTBOX_COLUMNS]
    return await raw.fetchrow(_PG_SUBMISSION, *args) is not None


async def insert_request_row(session: AsyncSession, values: Mapping[str, Any]) -> bool:
    """Insert a new request; False (nothing written) when its tracking number is already taken."""
    conn = await session.connection()
    stmt = _INSERT_REQUEST[conn.dialect.name]
    return (await conn.execute(stmt, dict(values))).first() is not None


async def insert_history_row(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Record one step of a request (Core insert)."""
    conn = await session.connection()
    await conn.execute(_INSERT_HISTORY, dict(values))


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
    kecamatan_code: str | None = None,
    level: str | None = None,
    status: str | None,
    letter_type: str | None,
    limit: int,
    before_id: str | None = None,
    by_due: bool = False,
    statuses: Sequence[str] | None = None,
    due_from: datetime | None = None,
    due_before: datetime | None = None,
    due_until: datetime | None = None,
    after_due: tuple[datetime, str] | None = None,
) -> Sequence[LetterRequest]:
    """Requests filtered by owner, area, level, status(es), type and deadline.

    Newest first (keyset on the ULID id, ``before_id``), or with ``by_due`` by deadline, then id
    (keyset ``after_due`` = (due_at, id) of the last row seen).
    """
    stmt = select(LetterRequest).options(selectinload(LetterRequest.letter_type))
    equal = {
        LetterRequest.owner_sub: owner_sub,
        LetterRequest.kelurahan_code: kelurahan_code,
        LetterRequest.kecamatan_code: kecamatan_code,
        LetterRequest.level: level,
        LetterRequest.status: status,
        LetterRequest.letter_type_code: letter_type,
    }
    for column, value in equal.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if statuses is not None:
        stmt = stmt.where(LetterRequest.status.in_(statuses))
    if due_from is not None:
        stmt = stmt.where(LetterRequest.due_at >= due_from)
    if due_before is not None:
        stmt = stmt.where(LetterRequest.due_at < due_before)
    if due_until is not None:
        stmt = stmt.where(LetterRequest.due_at <= due_until)
    if by_due:
        stmt = stmt.where(LetterRequest.due_at.is_not(None))
        if after_due is not None:
            due, last_id = after_due
            stmt = stmt.where(
                or_(
                    LetterRequest.due_at > due,
                    and_(LetterRequest.due_at == due, LetterRequest.id > last_id),
                )
            )
        stmt = stmt.order_by(LetterRequest.due_at, LetterRequest.id)
    else:
        if before_id is not None:
            stmt = stmt.where(LetterRequest.id < before_id)
        stmt = stmt.order_by(LetterRequest.id.desc())
    result = await session.execute(stmt.limit(limit))
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
