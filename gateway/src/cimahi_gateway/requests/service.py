"""The rules of the unified request status: who sees which request, paging, date filters."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_gateway.requests import repository
from cimahi_gateway.requests.repository import Visibility
from cimahi_gateway.requests.schemas import (
    RequestDetail,
    RequestListQuery,
    RequestPage,
    RequestSummary,
    TimelineEntryRead,
)
from cimahi_shared.auth import Principal
from cimahi_shared.errors import Forbidden, InvalidInput, NotFound

_KECAMATAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")


class RequestNotFound(NotFound):
    """The same answer for a missing request and for one the caller may not see."""

    def __init__(self) -> None:
        super().__init__("No request with this tracking number.")


def visibility_for(principal: Principal) -> Visibility:
    """Citizens see their own requests, officers their agency's in their area, admins all."""
    if principal.is_admin:
        return Visibility(everything=True)
    if principal.is_citizen:
        return Visibility(owner_sub=principal.sub)
    if principal.is_officer:
        if not principal.agency or not principal.area:
            raise Forbidden("Your officer account has no agency or area.")
        if _KECAMATAN_CODE.match(principal.area):
            return Visibility(agency=principal.agency, kecamatan=principal.area)
        return Visibility(agency=principal.agency, area=principal.area)
    raise Forbidden("Request status is available to citizens, officers and admins only.")


def encode_cursor(submitted_at: datetime, tracking_no: str) -> str:
    """An opaque keyset position."""
    raw = json.dumps([submitted_at.astimezone(UTC).isoformat(), tracking_no], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The keyset position of a cursor, or 422 naming the ``cursor`` field."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, tracking_no = json.loads(raw)
        position = datetime.fromisoformat(at)
        if position.tzinfo is None or not isinstance(tracking_no, str):
            raise ValueError("incomplete position")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "Invalid: cursor",
            errors=[{"field": "cursor", "message": "not a cursor from this API", "in": "query"}],
        ) from exc
    return position.astimezone(UTC), tracking_no


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


async def list_requests(
    session: AsyncSession, *, principal: Principal, query: RequestListQuery, zone: ZoneInfo
) -> RequestPage:
    """One page of the caller's visible requests, newest submission first."""
    scope = visibility_for(principal)
    after = decode_cursor(query.cursor) if query.cursor else None
    rows = await repository.list_visible(
        session,
        scope=scope,
        agency=query.agency,
        statuses=[s.value for s in query.status],
        submitted_from=_start_of(query.submitted_from, zone) if query.submitted_from else None,
        submitted_before=(
            _start_of(query.submitted_to + timedelta(days=1), zone) if query.submitted_to else None
        ),
        after=after,
        limit=query.limit + 1,
    )
    page, more = rows[: query.limit], len(rows) > query.limit
    next_cursor = encode_cursor(page[-1].submitted_at, page[-1].tracking_no) if more else None
    return RequestPage(
        items=[RequestSummary.model_validate(row) for row in page], next_cursor=next_cursor
    )


async def get_request(
    session: AsyncSession, *, principal: Principal, tracking_no: str
) -> RequestDetail:
    """A visible request with its timeline; a missing and a hidden one give the same 404."""
    scope = visibility_for(principal)
    found = await repository.get_visible(session, scope=scope, tracking_no=tracking_no)
    if found is None:
        raise RequestNotFound()
    timeline = await repository.timeline_of(session, tracking_no)
    summary = RequestSummary.model_validate(found)
    return RequestDetail(
        **summary.model_dump(),
        timeline=[TimelineEntryRead.model_validate(entry) for entry in timeline],
    )
