"""Unified request status API: every agency's requests in one place, for their citizen and officers."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query

from cimahi_gateway.config import GatewaySettings
from cimahi_gateway.requests import service
from cimahi_gateway.requests.models import TRACKING_NO_MAX
from cimahi_gateway.requests.schemas import RequestDetail, RequestListQuery, RequestPage
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import CurrentPrincipal

router = APIRouter(prefix="/api/v1/requests", tags=["request status"])


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def city_zone(runtime: RuntimeDep) -> ZoneInfo:
    """The time zone of the date filters (``GATEWAY_STATUS_TIMEZONE``)."""
    settings = runtime.settings
    name = settings.status_timezone if isinstance(settings, GatewaySettings) else "Asia/Jakarta"
    return _zone(name)


CityZone = Annotated[ZoneInfo, Depends(city_zone)]


@router.get("", response_model=RequestPage)
async def list_requests(
    principal: CurrentPrincipal,
    session: SessionDep,
    zone: CityZone,
    query: Annotated[RequestListQuery, Query()],
) -> RequestPage:
    """List the requests you may see (yours, or your agency's in your area), newest first."""
    return await service.list_requests(session, principal=principal, query=query, zone=zone)


@router.get("/{tracking_no}", response_model=RequestDetail)
async def get_request(
    principal: CurrentPrincipal,
    session: SessionDep,
    tracking_no: Annotated[str, Path(min_length=1, max_length=TRACKING_NO_MAX)],
) -> RequestDetail:
    """Show a request's current status and its whole timeline."""
    return await service.get_request(session, principal=principal, tracking_no=tracking_no)
