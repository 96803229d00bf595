"""Server-Sent Events of the event log: ``GET /api/v1/events/stream`` for integrators.

Each event the caller may see is one SSE message: ``id`` is the log's ``seq``, ``event`` the
CloudEvents type, ``data`` the structured CloudEvent JSON on one line. What it may see: the
integrator's ``allowed_events`` and, when given, the ``types`` patterns of the request
(comma-separated; they only narrow). Allowed events and revocation are looked up again at every
heartbeat, so a revoked integrator's open stream ends within one heartbeat interval.

Resuming: with ``Last-Event-ID: N`` (or ``?last_event_id=N`` for clients that cannot set headers)
the stream continues strictly after N; nothing is missed, because appends to the log commit in
``seq`` order (see ``eventlog``). Without it the stream starts at the current end (only new
events). When N lies before the log's retention window (``event_log_retention_days``: older
records may have been pruned), the stream begins with an ``event: gap`` message whose data is
``{"last_event_id": N, "oldest_available": M}`` (M: the oldest id still kept, or null), then
continues after N with what is left.

The log is read in pages of ``PAGE_SIZE`` (never the whole log); when caught up, the stream
waits for the event log's in-process signal, polling every ``POLL_SECONDS`` for events stored by
another gateway replica, and writes a ``: heartbeat`` comment every ``sse_heartbeat_seconds``
while idle. Reads are single autocommit statements (``requests.router.reading``: no
transaction); the opening reads share the request's session (on SQLite a second connection
would wait for that session's write lock); no database connection is held while waiting; the stream ends when the client
disconnects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.identity.service import gateway_settings
from cimahi_gateway.integrations import scopes
from cimahi_gateway.integrations.access import IntegratorDep
from cimahi_gateway.integrations.eventlog import new_events_signal
from cimahi_gateway.integrations.models import EventRecord, Integrator
from cimahi_gateway.requests.router import reading
from cimahi_shared.app import Runtime, RuntimeDep, SessionDep
from cimahi_shared.db import utcnow
from cimahi_shared.errors import InvalidInput

router = APIRouter(tags=["integrations"])

PAGE_SIZE = 200
POLL_SECONDS = 1.0
RETRY_MS = 2000
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def parse_types(raw: str | None) -> list[str] | None:
    """The ``types`` patterns (None: no narrowing); 422 naming ``types`` when malformed."""
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(",")]
    bad = [p for p in parts if not scopes.is_pattern(p)]
    if bad or not parts:
        message = "comma-separated patterns like 'epbb.payment.*,sipinter.>'"
        raise InvalidInput(
            "The types are not valid patterns.", errors=[{"field": "types", "message": message}]
        )
    return parts


def parse_cursor(header: str | None, query: str | None) -> int | None:
    """The resume position (header first); 422 when it is not a non-negative integer."""
    raw, where = (header, "Last-Event-ID") if header is not None else (query, "last_event_id")
    if raw is None:
        return None
    value = raw.strip()
    if not value.isdigit() or len(value) > 19:
        message = "an event id received from this stream"
        raise InvalidInput(
            "The last event id is not valid.", errors=[{"field": where, "message": message}]
        )
    return int(value)


@dataclass
class Audience:
    """Whose stream this is and what it may see (refreshed at every heartbeat)."""

    integrator_id: str
    allowed_events: list[str]
    types: list[str] | None
    active: bool = True

    def sees(self, key: str) -> bool:
        """Whether the event with this key goes to the client."""
        if not scopes.allowed(self.allowed_events, key):
            return False
        return self.types is None or scopes.allowed(self.types, key)

    async def refresh(self, runtime: Runtime) -> None:
        """Reload the integrator: allowed events may have changed, it may have been revoked."""
        query = select(Integrator.allowed_events, Integrator.revoked_at).where(
            Integrator.id == self.integrator_id
        )
        async with reading(runtime) as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None or row.revoked_at is not None:
            self.active = False
        else:
            self.allowed_events = [str(p) for p in row.allowed_events]


def sse_message(seq: int, event_type: str, event: dict[str, Any]) -> bytes:
    """One SSE message (the JSON has no newlines, so ``data`` is one line)."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, event_type.encode(), orjson.dumps(event))


async def _end_of_log(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(EventRecord.seq))) or 0)


async def _gap(session: AsyncSession, runtime: Runtime, after: int) -> bytes | None:
    """The ``gap`` message when ``after`` lies before the retention window, else None."""
    settings = gateway_settings(runtime)
    cutoff = utcnow() - timedelta(days=settings.event_log_retention_days)
    query = select(
        select(func.min(EventRecord.seq))
        .where(EventRecord.received_at >= cutoff)
        .scalar_subquery(),
        func.max(EventRecord.seq),
        func.min(EventRecord.seq),
    )
    in_window, last, oldest = (await session.execute(query)).one()
    if last is None:
        return None
    horizon = int(in_window) if in_window is not None else int(last) + 1
    if after >= horizon - 1:
        return None
    body = orjson.dumps({"last_event_id": after, "oldest_available": oldest})
    return b"event: gap\ndata: %s\n\n" % body


async def _page(runtime: Runtime, after: int) -> Sequence[Any]:
    query = (
        select(EventRecord.seq, EventRecord.key, EventRecord.type, EventRecord.event)
        .where(EventRecord.seq > after)
        .order_by(EventRecord.seq)
        .limit(PAGE_SIZE)
    )
    async with reading(runtime) as conn:
        return (await conn.execute(query)).all()


async def event_stream(
    runtime: Runtime, audience: Audience, *, after: int, gap: bytes | None
) -> AsyncIterator[bytes]:
    """The SSE body: ``gap`` first if any, then the visible events after ``after``, forever."""
    loop_time = asyncio.get_running_loop().time
    heartbeat = gateway_settings(runtime).sse_heartbeat_seconds
    signal = new_events_signal(runtime)
    yield b"retry: %d\n\n" % RETRY_MS
    if gap is not None:
        yield gap
    last_write = loop_time()
    while audience.active:
        seen = signal.snapshot()
        rows = await _page(runtime, after)
        for row in rows:
            after = row.seq
            if audience.sees(row.key):
                yield sse_message(row.seq, row.type, row.event)
                last_write = loop_time()
        if len(rows) == PAGE_SIZE:
            continue
        idle_left = heartbeat - (loop_time() - last_write)
        if idle_left <= 0:
            await audience.refresh(runtime)
            if audience.active:
                yield b": heartbeat\n\n"
            last_write = loop_time()
            continue
        await signal.wait(seen, within=min(POLL_SECONDS, idle_left))


@router.get(
    "/api/v1/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_events(
    integrator: IntegratorDep,
    session: SessionDep,
    runtime: RuntimeDep,
    types: Annotated[
        str | None, Query(max_length=2000, description="Comma-separated event patterns (narrowing)")
    ] = None,
    last_event_id: Annotated[
        str | None, Query(max_length=20, description="Resume after this id (if no header)")
    ] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20)
    ] = None,
) -> StreamingResponse:
    """Stream the events you may see (SSE), resumable with ``Last-Event-ID``; see the module doc."""
    audience = Audience(integrator.id, list(integrator.allowed_events), parse_types(types))
    after = parse_cursor(last_event_id_header, last_event_id)
    gap = None if after is None else await _gap(session, runtime, after)
    if after is None:
        after = await _end_of_log(session)
    body = event_stream(runtime, audience, after=after, gap=gap)
    return StreamingResponse(body, media_type="text/event-stream", headers=HEADERS)
