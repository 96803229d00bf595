"""Public service standards: ``GET /v1/public/services`` and ``GET /v1/public/services/{code}``."""

from __future__ import annotations

from fastapi import APIRouter

from cimahi_dilandacinta.catalogue import service
from cimahi_dilandacinta.catalogue.schemas import ServiceStandard

router = APIRouter(prefix="/v1/public/services", tags=["catalogue"])


@router.get("", response_model=list[ServiceStandard])
async def list_services() -> list[ServiceStandard]:
    """Every population document service with its standard (requirements, fields, form, time
    limit in working days, fee 0, procedure). No login needed."""
    return service.list_services()


@router.get("/{code}", response_model=ServiceStandard)
async def get_service(code: str) -> ServiceStandard:
    """One service's standard (404 for an unknown code)."""
    return service.get_service(code)
