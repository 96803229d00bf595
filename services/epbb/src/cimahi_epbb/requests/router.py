"""HTTP surface of taxpayer requests (keberatan, pengurangan, mutasi) and their officer workflow."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, status

from cimahi_epbb.access_log import DEFAULT_PURPOSE, PurposeHeader
from cimahi_epbb.auth import Citizen, Officer, Reader
from cimahi_epbb.clock import ClockDep
from cimahi_epbb.requests import service
from cimahi_epbb.requests.kinds import REQUEST_KIND, UNIFIED
from cimahi_epbb.requests.repository import ListFilter
from cimahi_epbb.requests.schemas import (
    ApproveIn,
    HistoryRead,
    Kind,
    NoteIn,
    RequestCreate,
    RequestPage,
    RequestRead,
    RequestResubmit,
    RequiredNoteIn,
)
from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_shared.identifiers import format_nop

router = APIRouter(tags=["requests"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
_NOT_FOUND: dict[str, Any] = {**_PROBLEM, "description": "Unknown, or not yours to see"}
_STEP_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: _NOT_FOUND,
    409: {**_PROBLEM, "description": "Not possible in the request's current status"},
}


def request_read(detail: service.Detail) -> RequestRead:
    """The answer for one request (history only when read alone)."""
    request = detail.request
    history = None
    if detail.history is not None:
        history = [
            HistoryRead(
                sequence=h.sequence,
                from_status=h.from_status,
                to_status=h.to_status,
                actor_role=h.actor_role,
                actor_name=h.actor_name,
                note=h.note,
                occurred_at=h.occurred_at,
            )
            for h in detail.history
        ]
    return RequestRead(
        id=request.id,
        tracking_no=request.tracking_no,
        kind=cast("Kind", request.kind),
        request_kind=REQUEST_KIND[request.kind],
        title=service.title_of(request),
        nop=request.nop,
        nop_display=format_nop(request.nop),
        tax_year=request.tax_year,
        bill_id=request.bill_id,
        kelurahan_code=request.kelurahan_code,
        fields=request.fields,
        new_taxpayer_nik_masked=request.new_taxpayer_nik_masked,
        status=request.status,
        unified_status=UNIFIED[request.status].value,
        decision=request.decision,
        outcome_bill_id=request.outcome_bill_id,
        granted_reduction=request.granted_reduction,
        submitted_at=request.submitted_at,
        updated_at=request.updated_at,
        due_at=request.due_at,
        decided_at=request.decided_at,
        overdue=detail.overdue,
        history=history,
    )


@router.post(
    "/v1/requests",
    response_model=RequestRead,
    status_code=status.HTTP_201_CREATED,
    responses={
        404: {**_PROBLEM, "description": "No such tax object linked to your account"},
        409: {**_PROBLEM, "description": "A request about this is still open"},
    },
)
async def submit(
    body: RequestCreate,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> RequestRead:
    """File a request about a tax object linked to your account (honours ``Idempotency-Key``)."""
    detail = await service.submit(
        session, principal=principal, data=body, clock=clock, pii=runtime.pii
    )
    return request_read(detail)


@router.get("/v1/requests", response_model=RequestPage)
async def list_requests(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
    status_: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    kind: Literal["keberatan", "pengurangan", "mutasi"] | None = None,
    due: Literal["overdue", "due_soon"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> RequestPage:
    """Citizens: their own, newest first. Officers: their area's by deadline
    (``due=overdue|due_soon``: open requests past or within the due-soon working days)."""
    flt = ListFilter(status=status_, kind=kind, due=due, limit=limit, offset=offset)
    details, next_offset = await service.list_for(
        session, principal=principal, flt=flt, purpose=purpose, clock=clock
    )
    return RequestPage(items=[request_read(d) for d in details], next_offset=next_offset)


@router.get("/v1/requests/{request_id}", response_model=RequestRead, responses={404: _NOT_FOUND})
async def get_request(
    request_id: str,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> RequestRead:
    """One request (by id or tracking number) with its history; officers' reads are logged."""
    detail = await service.read(
        session, principal=principal, ref=request_id, purpose=purpose, clock=clock
    )
    return request_read(detail)


@router.post(
    "/v1/requests/{request_id}/cancel", response_model=RequestRead, responses=_STEP_PROBLEMS
)
async def cancel(
    request_id: str,
    principal: Citizen,
    session: SessionDep,
    clock: ClockDep,
    body: NoteIn | None = None,
) -> RequestRead:
    """The taxpayer withdraws the request (before a decision; 409 after)."""
    detail = await service.cancel(
        session, principal=principal, ref=request_id, note=body.note if body else None, clock=clock
    )
    return request_read(detail)


@router.post(
    "/v1/requests/{request_id}/resubmit", response_model=RequestRead, responses=_STEP_PROBLEMS
)
async def resubmit(
    request_id: str,
    body: RequestResubmit,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> RequestRead:
    """The taxpayer sends corrections after a return (the deadline restarts)."""
    detail = await service.resubmit(
        session, principal=principal, ref=request_id, data=body, clock=clock, pii=runtime.pii
    )
    return request_read(detail)


@router.post(
    "/v1/requests/{request_id}/verify", response_model=RequestRead, responses=_STEP_PROBLEMS
)
async def verify(
    request_id: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: NoteIn | None = None,
) -> RequestRead:
    """An officer of the area finds the request complete."""
    detail = await service.verify(
        session, principal=principal, ref=request_id, note=body.note if body else None, clock=clock
    )
    return request_read(detail)


@router.post(
    "/v1/requests/{request_id}/return", response_model=RequestRead, responses=_STEP_PROBLEMS
)
async def return_request(
    request_id: str, body: RequiredNoteIn, principal: Officer, session: SessionDep, clock: ClockDep
) -> RequestRead:
    """Return the request to the taxpayer; the note says what to correct."""
    detail = await service.return_for_correction(
        session, principal=principal, ref=request_id, note=body.note, clock=clock
    )
    return request_read(detail)


@router.post(
    "/v1/requests/{request_id}/reject", response_model=RequestRead, responses=_STEP_PROBLEMS
)
async def reject(
    request_id: str, body: RequiredNoteIn, principal: Officer, session: SessionDep, clock: ClockDep
) -> RequestRead:
    """Refuse the request with a reason (objections: the head of Bapenda)."""
    detail = await service.reject(
        session, principal=principal, ref=request_id, note=body.note, clock=clock
    )
    return request_read(detail)


@router.post(
    "/v1/requests/{request_id}/approve", response_model=RequestRead, responses=_STEP_PROBLEMS
)
async def approve(
    request_id: str,
    body: ApproveIn,
    principal: Officer,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> RequestRead:
    """Grant a verified request: a new bill version (objections: the head of Bapenda)."""
    detail = await service.approve(
        session, principal=principal, ref=request_id, data=body, clock=clock, pii=runtime.pii
    )
    return request_read(detail)
