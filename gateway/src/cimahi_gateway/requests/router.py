"""Unified request status API: every agency's requests in one place, for their citizen and officers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache, partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.problems import NOT_FOUND
from cimahi_gateway.requests import service
from cimahi_gateway.requests.models import TRACKING_NO_MAX
from cimahi_gateway.requests.schemas import RequestDetail, RequestListQuery, RequestPage
from cimahi_shared.app import Runtime, get_runtime
from cimahi_shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api/v1/requests", tags=["request status"])


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def city_zone(runtime: Runtime) -> ZoneInfo:
    """The time zone of the date filters (``GATEWAY_STATUS_TIMEZONE``)."""
    settings = runtime.settings
    name = settings.status_timezone if isinstance(settings, GatewaySettings) else "Asia/Jakarta"
    return _zone(name)


@asynccontextmanager
async def reading(runtime: Runtime) -> AsyncIterator[AsyncConnection]:
    """A pooled connection for one read statement, in autocommit.

    Every read of this API is a single statement (one consistent snapshot on its own), so it
    needs no BEGIN/COMMIT round trips; the connection goes back to the pool before the response
    is written.
    """
    async with runtime.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def json_response(payload: dict[str, Any]) -> Response:
    """The payload as JSON, encoded once (datetimes in UTC with ``Z``, as pydantic writes them).

    Returning a ``Response`` skips FastAPI's second validation and serialization of the
    ``response_model``, which stays on the route for the OpenAPI description.
    """
    return Response(orjson.dumps(payload, option=orjson.OPT_UTC_Z), media_type="application/json")


# Handlers take no sync dependencies: each would run in a worker thread, a thread hop per request.


@router.get("", response_model=RequestPage)
async def list_requests(
    request: Request,
    principal: CurrentPrincipal,
    query: Annotated[RequestListQuery, Query()],
) -> Response:
    """List the requests you may see (yours, or your agency's in your area), newest first."""
    runtime = get_runtime(request)
    page = await service.list_requests(
        partial(reading, runtime), principal=principal, query=query, zone=city_zone(runtime)
    )
    return json_response(page)


@router.get("/{tracking_no}", response_model=RequestDetail, responses={404: NOT_FOUND})
async def get_request(
    request: Request,
    principal: CurrentPrincipal,
    tracking_no: Annotated[str, Path(min_length=1, max_length=TRACKING_NO_MAX)],
) -> Response:
    """Show a request's current status and its whole timeline."""
    detail = await service.get_request(
        partial(reading, get_runtime(request)), principal=principal, tracking_no=tracking_no
    )
    return json_response(detail)
