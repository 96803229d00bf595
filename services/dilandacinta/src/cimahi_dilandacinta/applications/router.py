"""HTTP surface of document applications (and the public catalogue, mounted here)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from cimahi_dilandacinta.applications import service
from cimahi_dilandacinta.applications.repository import ListFilter
from cimahi_dilandacinta.applications.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    CancelIn,
    DecideIn,
    ResubmitIn,
    StepIn,
    VerifyIn,
)
from cimahi_dilandacinta.applications.views import application_read
from cimahi_dilandacinta.auth import Citizen, Head, Officer, Reader
from cimahi_dilandacinta.catalogue.router import router as catalogue_router
from cimahi_dilandacinta.clock import ClockDep
from cimahi_dilandacinta.config import DilandacintaSettings
from cimahi_shared.app import RuntimeDep, SessionDep

router = APIRouter(tags=["applications"])
router.include_router(catalogue_router)

Purpose = Annotated[
    str | None,
    Query(max_length=200, description="Why an officer reads (kept in the access log)"),
]


def _settings(runtime: RuntimeDep) -> DilandacintaSettings:
    settings = runtime.settings
    assert isinstance(settings, DilandacintaSettings)
    return settings


@router.post(
    "/v1/applications", response_model=ApplicationRead, status_code=status.HTTP_201_CREATED
)
async def submit(
    body: ApplicationCreate,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> ApplicationRead:
    """Apply for a document (honours ``Idempotency-Key``). 422 names the wrong field."""
    detail = await service.submit(
        session,
        principal=principal,
        data=body,
        clock=clock,
        pii=runtime.pii,
        settings=_settings(runtime),
    )
    return application_read(detail)


@router.get("/v1/applications", response_model=ApplicationPage)
async def list_applications(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: Purpose = None,
    status_: Annotated[str | None, Query(alias="status", max_length=24)] = None,
    type_: Annotated[str | None, Query(alias="type", max_length=40)] = None,
    due: Literal["overdue", "due_soon"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> ApplicationPage:
    """Citizens: their own, newest first. Officers: their area's, by deadline
    (``due=overdue|due_soon`` for open applications past or near their deadline)."""
    flt = ListFilter(status=status_, type_code=type_, due=due, limit=limit, offset=offset)
    details, next_offset = await service.list_for(
        session, principal=principal, flt=flt, purpose=purpose, clock=clock
    )
    return ApplicationPage(
        items=[application_read(d, with_history=False) for d in details], next_offset=next_offset
    )


@router.get("/v1/applications/{tracking_no}", response_model=ApplicationRead)
async def get_application(
    tracking_no: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: Purpose = None,
) -> ApplicationRead:
    """One application with its history (officers' reads are logged with their purpose)."""
    detail = await service.read(
        session, principal=principal, tracking_no=tracking_no, purpose=purpose, clock=clock
    )
    return application_read(detail)


@router.post("/v1/applications/{tracking_no}/cancel", response_model=ApplicationRead)
async def cancel(
    tracking_no: str,
    principal: Citizen,
    session: SessionDep,
    clock: ClockDep,
    body: CancelIn | None = None,
) -> ApplicationRead:
    """The applicant withdraws (before processing; 409 after)."""
    detail = await service.cancel(
        session,
        principal=principal,
        tracking_no=tracking_no,
        note=body.note if body else None,
        clock=clock,
    )
    return application_read(detail)


@router.post("/v1/applications/{tracking_no}/resubmit", response_model=ApplicationRead)
async def resubmit(
    tracking_no: str,
    body: ResubmitIn,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> ApplicationRead:
    """The applicant sends corrections after a return (the deadline restarts)."""
    detail = await service.resubmit(
        session,
        principal=principal,
        tracking_no=tracking_no,
        data=body,
        clock=clock,
        pii=runtime.pii,
        settings=_settings(runtime),
    )
    return application_read(detail)


@router.post("/v1/applications/{tracking_no}/verify", response_model=ApplicationRead)
async def verify(
    tracking_no: str, body: VerifyIn, principal: Officer, session: SessionDep, clock: ClockDep
) -> ApplicationRead:
    """Accept, return for revision or reject (note + missing requirement codes)."""
    detail = await service.verify(
        session, principal=principal, tracking_no=tracking_no, data=body, clock=clock
    )
    return application_read(detail)


@router.post("/v1/applications/{tracking_no}/decide", response_model=ApplicationRead)
async def decide(
    tracking_no: str, body: DecideIn, principal: Head, session: SessionDep, clock: ClockDep
) -> ApplicationRead:
    """The head of Dinas approves or rejects a late birth registration."""
    detail = await service.decide(
        session, principal=principal, tracking_no=tracking_no, data=body, clock=clock
    )
    return application_read(detail)


@router.post("/v1/applications/{tracking_no}/process", response_model=ApplicationRead)
async def process(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: StepIn | None = None,
) -> ApplicationRead:
    """The data is processed; the document goes to the head of Dinas for signing."""
    detail = await service.process(
        session,
        principal=principal,
        tracking_no=tracking_no,
        note=body.note if body else None,
        clock=clock,
    )
    return application_read(detail)


@router.post("/v1/applications/{tracking_no}/sign", response_model=ApplicationRead)
async def sign(
    tracking_no: str,
    principal: Head,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    body: StepIn | None = None,
) -> ApplicationRead:
    """The head of Dinas signs: the register changes and the document is issued."""
    detail = await service.sign(
        session,
        principal=principal,
        tracking_no=tracking_no,
        note=body.note if body else None,
        clock=clock,
        pii=runtime.pii,
        settings=_settings(runtime),
    )
    return application_read(detail)
