"""HTTP surface of applications: the applicant's steps, reads and the officers' queue.

Every answer is an ``ApplicationRead`` (``views.application_read``). Officers' and admins'
reads are access-logged (purpose from ``X-Purpose``); the applicant's own are not.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from cimahi_shared.app import SessionDep
from cimahi_shared.auth import Principal
from cimahi_sipinter.access_log import DEFAULT_PURPOSE, PurposeHeader, log_reads
from cimahi_sipinter.applications import service
from cimahi_sipinter.applications.repository import ListFilter
from cimahi_sipinter.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationPatch,
    ApplicationRead,
    ResubmitIn,
    WithdrawIn,
)
from cimahi_sipinter.applications.states import Status
from cimahi_sipinter.applications.views import application_read, applications_read
from cimahi_sipinter.auth import Citizen, Reader
from cimahi_sipinter.catalogue.schemas import Stage
from cimahi_sipinter.clock import ClockDep
from cimahi_sipinter.config import SettingsDep
from cimahi_sipinter.models import Application


async def no_store(response: Response) -> None:
    """Answers about applications are personal: never kept by caches."""
    response.headers["Cache-Control"] = "private, no-store"


router = APIRouter(tags=["applications"], dependencies=[Depends(no_store)])
"""Permit applications: the applicant's side (drafts, submission, resubmission, withdrawal),
reads and the officers' queue, and the workflow core every step goes through."""

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_NOT_YOURS: dict[int | str, dict[str, Any]] = {
    404: {**_PROBLEM, "description": "Unknown, or not your business's"}
}
_STEP: dict[int | str, dict[str, Any]] = {
    **_NOT_YOURS,
    409: {**_PROBLEM, "description": "Not possible in the application's status"},
    422: {**_PROBLEM, "description": "Invalid or incomplete (the field is named)"},
}


def _log(
    session: SessionDep,
    principal: Principal,
    applications: list[Application],
    *,
    action: str,
    purpose: str,
    clock: ClockDep,
) -> None:
    log_reads(
        session,
        principal,
        resource="application",
        refs=[(a.business_id, a.registration_number or a.id) for a in applications],
        action=action,
        purpose=purpose,
        now=clock.now,
    )


@router.post(
    "/v1/applications",
    response_model=ApplicationRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {**_PROBLEM, "description": "Unknown business, or not yours"},
        422: _STEP[422],
    },
)
async def create_draft(
    body: ApplicationCreate, citizen: Citizen, session: SessionDep, clock: ClockDep
) -> ApplicationRead:
    """Start a draft application of a business you own."""
    application = await service.create_draft(session, principal=citizen, data=body, clock=clock)
    return await application_read(session, application, clock=clock)


@router.patch("/v1/applications/{application_id}", response_model=ApplicationRead, responses=_STEP)
async def patch_draft(
    application_id: str,
    body: ApplicationPatch,
    citizen: Citizen,
    session: SessionDep,
    clock: ClockDep,
) -> ApplicationRead:
    """Change a draft (only the keys you send)."""
    application = await service.patch_draft(
        session, principal=citizen, application_id=application_id, data=body, clock=clock
    )
    return await application_read(session, application, clock=clock)


@router.post(
    "/v1/applications/{application_id}/submit", response_model=ApplicationRead, responses=_STEP
)
async def submit(
    application_id: str,
    citizen: Citizen,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> ApplicationRead:
    """Submit a complete draft: it gets its registration number and deadline."""
    application = await service.submit(
        session, principal=citizen, application_id=application_id, clock=clock, settings=settings
    )
    return await application_read(session, application, clock=clock)


@router.post(
    "/v1/applications/{application_id}/resubmit", response_model=ApplicationRead, responses=_STEP
)
async def resubmit(
    application_id: str, body: ResubmitIn, citizen: Citizen, session: SessionDep, clock: ClockDep
) -> ApplicationRead:
    """Send a returned application back, completed: the deadline clock resumes."""
    application = await service.resubmit(
        session, principal=citizen, application_id=application_id, data=body, clock=clock
    )
    return await application_read(session, application, clock=clock)


@router.post(
    "/v1/applications/{application_id}/withdraw", response_model=ApplicationRead, responses=_STEP
)
async def withdraw(
    application_id: str,
    citizen: Citizen,
    session: SessionDep,
    clock: ClockDep,
    body: WithdrawIn | None = None,
) -> ApplicationRead:
    """Withdraw your application (not once it awaits the head's signature or is decided)."""
    application = await service.withdraw(
        session,
        principal=citizen,
        application_id=application_id,
        note=body.note if body else None,
        clock=clock,
    )
    return await application_read(session, application, clock=clock)


@router.get("/v1/applications", response_model=ApplicationPage)
async def list_applications(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    stage: Stage | None = None,
    permit_type: Annotated[str | None, Query(max_length=24)] = None,
    business_id: Annotated[str | None, Query(max_length=26)] = None,
    assigned: Literal["me", "none"] | None = None,
    due: Literal["overdue", "due_soon"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationPage:
    """Your businesses' applications, newest first (drafts too). For DPMPTSP officers, the
    queue of their area: deadline running first (soonest due first), then paused, then decided
    (logged)."""
    flt = ListFilter(
        status=status_,
        stage=stage,
        permit_type=permit_type.upper() if permit_type else None,
        business_id=business_id,
        assigned_to=principal.sub if assigned == "me" else None,
        unassigned=assigned == "none",
        due=due,
        now=clock.now,
        due_soon_until=clock.due_soon_until(),
        limit=limit,
        offset=offset,
    )
    rows, next_offset = await service.list_applications(session, principal=principal, flt=flt)
    _log(session, principal, rows, action="list", purpose=purpose, clock=clock)
    items = await applications_read(session, rows, clock=clock)
    return ApplicationPage(items=items, next_offset=next_offset)


@router.get(
    "/v1/applications/{application_id}", response_model=ApplicationRead, responses=_NOT_YOURS
)
async def get_application(
    application_id: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """An application of your business; for DPMPTSP officers, one of their area (logged)."""
    application = await service.get_application(
        session, principal=principal, application_id=application_id
    )
    _log(session, principal, [application], action="read", purpose=purpose, clock=clock)
    return await application_read(session, application, clock=clock)
