"""The rules of the unified request status: who sees which request, paging, date filters."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from cimahi_gateway.requests import repository
from cimahi_gateway.requests.repository import Visibility
from cimahi_gateway.requests.schemas import RequestListQuery
from cimahi_shared.auth import Principal
from cimahi_shared.errors import Forbidden, InvalidInput, NotFound
from cimahi_shared.regions import CITY_CODE

# Opens the connection a read runs on (see router.reading).
Reading = Callable[[], AbstractAsyncContextManager[AsyncConnection]]

_KECAMATAN_CODE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")


class RequestNotFound(NotFound):
    """The same answer for a missing request and for one the caller may not see."""

    def __init__(self) -> None:
        super().__init__("No request with this tracking number.")


def visibility_for(principal: Principal) -> Visibility:
    """Citizens see their own requests, officers their agency's in their area, admins all.

    An officer's area is a kelurahan, a kecamatan or the whole city (``32.77``).
    """
    if principal.is_admin:
        return Visibility(everything=True)
    if principal.is_citizen:
        return Visibility(owner_sub=principal.sub)
    if principal.is_officer:
        if not principal.agency or not principal.area:
            raise Forbidden("Your officer account has no agency or area.")
        if principal.area == CITY_CODE:
            return Visibility(agency=principal.agency, city_wide=True)
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
    reading: Reading, *, principal: Principal, query: RequestListQuery, zone: ZoneInfo
) -> dict[str, Any]:
    """One page of the caller's visible requests, newest submission first (``RequestPage``).

    Who may see what and the cursor are checked before a database connection is taken.
    """
    scope = visibility_for(principal)
    after = decode_cursor(query.cursor) if query.cursor else None
    async with reading() as conn:
        rows = await repository.list_visible(
            conn,
            scope=scope,
            agency=query.agency,
            statuses=[s.value for s in query.status],
            submitted_from=_start_of(query.submitted_from, zone) if query.submitted_from else None,
            submitted_before=(
                _start_of(query.submitted_to + timedelta(days=1), zone)
                if query.submitted_to
                else None
            ),
            after=after,
            limit=query.limit + 1,
        )
    page, more = rows[: query.limit], len(rows) > query.limit
    next_cursor = encode_cursor(page[-1].submitted_at, page[-1].tracking_no) if more else None
    # Plain dicts of the RequestSummary fields: the rows come from our own projection, so they
    # are encoded as they are (schemas.RequestPage documents the shape; tests check they agree).
    fields = repository.SUMMARY_FIELDS
    return {
        "items": [dict(zip(fields, row, strict=True)) for row in page],
        "next_cursor": next_cursor,
    }


async def get_request(
    reading: Reading, *, principal: Principal, tracking_no: str
) -> dict[str, Any]:
    """A visible request with its timeline (``RequestDetail``); missing or hidden: the same 404."""
    scope = visibility_for(principal)
    async with reading() as conn:
        rows = await repository.get_visible(conn, scope=scope, tracking_no=tracking_no)
    if not rows:
        raise RequestNotFound()
    summary_width = len(repository.SUMMARY_FIELDS)
    detail: dict[str, Any] = dict(zip(repository.SUMMARY_FIELDS, rows[0], strict=False))
    detail["timeline"] = [
        dict(zip(repository.TIMELINE_FIELDS, row[summary_width:], strict=True))
        for row in rows
        if row.sequence is not None
    ]
    return detail
