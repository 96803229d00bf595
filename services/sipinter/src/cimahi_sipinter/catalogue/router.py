"""The permit catalogue as a public service standard (no login).

``GET /v1/public/permit-types`` and ``GET /v1/public/permit-types/{code}``.
"""

from __future__ import annotations

from fastapi import APIRouter

from cimahi_shared.errors import PROBLEM_JSON, NotFound
from cimahi_sipinter.catalogue.schemas import PermitType, PermitTypeSummary
from cimahi_sipinter.catalogue.standards import CATALOGUE, permit_type

router = APIRouter(tags=["permit catalogue"])


@router.get("/v1/public/permit-types", response_model=list[PermitTypeSummary])
async def list_permit_types() -> list[PermitTypeSummary]:
    """Every permit type: tier, time limit, whether a levy applies, validity."""
    return [
        PermitTypeSummary(
            code=t.code,
            name=t.name,
            name_id=t.name_id,
            sector=t.sector,
            tier=t.tier,
            time_limit_working_days=t.time_limit_working_days,
            has_levy=t.levy.basis != "none",
            validity_years=t.validity_years,
        )
        for t in CATALOGUE.values()
    ]


@router.get(
    "/v1/public/permit-types/{code}",
    response_model=PermitType,
    responses={404: {"content": {PROBLEM_JSON: {}}, "description": "No such permit type"}},
)
async def get_permit_type(code: str) -> PermitType:
    """A permit type's service standard: requirements, procedure, time limit, fee, product."""
    found = permit_type(code)
    if found is None:
        raise NotFound(f"No permit type {code!r}.")
    return found
