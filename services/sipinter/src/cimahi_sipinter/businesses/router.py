"""HTTP surface of businesses: registration, owners' and officers' reads, co-owners."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.regions import kelurahan_name
from cimahi_sipinter.access_log import DEFAULT_PURPOSE, PurposeHeader, log_reads
from cimahi_sipinter.auth import Citizen, Reader
from cimahi_sipinter.businesses import service
from cimahi_sipinter.businesses.schemas import (
    BusinessCreate,
    BusinessPage,
    BusinessRead,
    OwnerCreate,
    OwnerRead,
)
from cimahi_sipinter.businesses.service import BusinessView
from cimahi_sipinter.clock import ClockDep


async def no_store(response: Response) -> None:
    """Answers about businesses and their owners are never kept by caches."""
    response.headers["Cache-Control"] = "private, no-store"


router = APIRouter(tags=["businesses"], dependencies=[Depends(no_store)])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def business_read(view: BusinessView) -> BusinessRead:
    """The API view of a business (owners' NIKs masked)."""
    b = view.business
    return BusinessRead(
        id=b.id,
        nib=b.nib,
        name=b.name,
        legal_form=b.legal_form,
        address=b.address,
        kelurahan_code=b.kelurahan_code,
        kelurahan_name=kelurahan_name(b.kelurahan_code),
        owners=[
            OwnerRead(
                owner_sub=o.owner_sub,
                name=o.name,
                role=o.role,
                nik_masked=o.applicant_nik_masked,
                added_at=o.added_at,
            )
            for o in view.owners
        ],
        created_at=b.created_at,
        updated_at=b.updated_at,
    )


@router.post(
    "/v1/businesses",
    response_model=BusinessRead,
    status_code=status.HTTP_201_CREATED,
    responses={409: {**_PROBLEM, "description": "NIB already registered"}},
)
async def register_business(
    body: BusinessCreate,
    citizen: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> BusinessRead:
    """Register a business by its NIB; you become its owner."""
    view = await service.register_business(
        session, principal=citizen, data=body, pii=runtime.pii, now=clock.now
    )
    return business_read(view)


@router.get("/v1/businesses", response_model=BusinessPage)
async def list_businesses(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> BusinessPage:
    """Your businesses; for DPMPTSP officers, those of their area (logged)."""
    views, total = await service.list_businesses(
        session, principal=principal, limit=limit, offset=offset
    )
    log_reads(
        session,
        principal,
        resource="business",
        refs=[(v.business.id, v.business.nib) for v in views],
        action="list",
        purpose=purpose,
        now=clock.now,
    )
    return BusinessPage(
        items=[business_read(v) for v in views], total=total, limit=limit, offset=offset
    )


@router.get(
    "/v1/businesses/{business_id}",
    response_model=BusinessRead,
    responses={404: {**_PROBLEM, "description": "Unknown, or not yours"}},
)
async def get_business(
    business_id: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> BusinessRead:
    """A business you own, or (DPMPTSP officers) one of your area (logged)."""
    view = await service.get_business(session, principal=principal, business_id=business_id)
    log_reads(
        session,
        principal,
        resource="business",
        refs=[(view.business.id, view.business.nib)],
        action="read",
        purpose=purpose,
        now=clock.now,
    )
    return business_read(view)


@router.post(
    "/v1/businesses/{business_id}/owners",
    response_model=BusinessRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {**_PROBLEM, "description": "Unknown, or you do not own it"},
        409: {**_PROBLEM, "description": "The account already owns the business"},
    },
)
async def add_owner(
    business_id: str,
    body: OwnerCreate,
    citizen: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> BusinessRead:
    """Add a co-owner to a business you own, by their account."""
    view = await service.add_owner(
        session,
        principal=citizen,
        business_id=business_id,
        data=body,
        pii=runtime.pii,
        now=clock.now,
    )
    return business_read(view)
