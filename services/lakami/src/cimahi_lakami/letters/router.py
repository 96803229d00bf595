"""Letter request endpoints: citizens submit and follow, kelurahan officers decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from cimahi_lakami.auth import Citizen, Officer, Reader
from cimahi_lakami.letters import service
from cimahi_lakami.letters.schemas import (
    ActionNote,
    LetterRequestCreate,
    LetterRequestPage,
    LetterRequestRead,
    LetterRequestResubmit,
    LetterRequestSummary,
)
from cimahi_lakami.letters.workflow import Action, AgencyStatus
from cimahi_shared.app import RuntimeDep, SessionDep

router = APIRouter(prefix="/v1/letter-requests", tags=["letter requests"])

OptionalNote = Annotated[ActionNote | None, Body()]


@router.post("", response_model=LetterRequestRead, status_code=status.HTTP_201_CREATED)
async def submit_letter_request(
    data: LetterRequestCreate,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> LetterRequestRead:
    """Submit a request for a letter from your kelurahan (send an Idempotency-Key to retry safely)."""
    request = await service.submit_request(session, principal=principal, pii=runtime.pii, data=data)
    # Relative reference: resolves correctly both directly and behind the gateway's /api/lakami/.
    response.headers["Location"] = f"letter-requests/{request.tracking_no}"
    return LetterRequestRead.of(request)


@router.get("", response_model=LetterRequestPage)
async def list_letter_requests(
    principal: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[AgencyStatus | None, Query(description="LAKAMI status")] = None,
    letter_type: Annotated[str | None, Query(max_length=40)] = None,
) -> LetterRequestPage:
    """Requests you may see, newest first: yours (citizen), your kelurahan's (officer), all (admin)."""
    items, next_cursor = await service.list_requests(
        session,
        principal=principal,
        limit=limit,
        cursor=cursor,
        status=status,
        letter_type=letter_type,
    )
    return LetterRequestPage(
        items=[LetterRequestSummary.of(r) for r in items], next_cursor=next_cursor
    )


@router.get("/{tracking_no}", response_model=LetterRequestRead)
async def get_letter_request(
    tracking_no: str, principal: Reader, session: SessionDep
) -> LetterRequestRead:
    """One request with its history."""
    request = await service.get_request(session, principal=principal, tracking_no=tracking_no)
    return LetterRequestRead.of(request)


async def _officer_action(
    action: Action,
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    body: ActionNote | None,
) -> LetterRequestRead:
    request = await service.act_as_officer(
        session,
        principal=principal,
        tracking_no=tracking_no,
        action=action,
        note=body.note if body else None,
    )
    return LetterRequestRead.of(request)


@router.post("/{tracking_no}/verify", response_model=LetterRequestRead)
async def verify_letter_request(
    tracking_no: str, principal: Officer, session: SessionDep, body: OptionalNote = None
) -> LetterRequestRead:
    """Officer: the data and documents are checked (submitted/edited -> verify)."""
    return await _officer_action(Action.VERIFY, tracking_no, principal, session, body)


@router.post("/{tracking_no}/process", response_model=LetterRequestRead)
async def process_letter_request(
    tracking_no: str, principal: Officer, session: SessionDep, body: OptionalNote = None
) -> LetterRequestRead:
    """Officer: the letter is being prepared (verify -> process)."""
    return await _officer_action(Action.PROCESS, tracking_no, principal, session, body)


@router.post("/{tracking_no}/approve", response_model=LetterRequestRead)
async def approve_letter_request(
    tracking_no: str, principal: Officer, session: SessionDep, body: OptionalNote = None
) -> LetterRequestRead:
    """Officer: sign and number the letter (process -> approved; completes the request)."""
    return await _officer_action(Action.APPROVE, tracking_no, principal, session, body)


@router.post("/{tracking_no}/reject", response_model=LetterRequestRead)
async def reject_letter_request(
    tracking_no: str, principal: Officer, session: SessionDep, body: OptionalNote = None
) -> LetterRequestRead:
    """Officer: refuse the request; a note with the reason is required."""
    return await _officer_action(Action.REJECT, tracking_no, principal, session, body)


@router.post("/{tracking_no}/return", response_model=LetterRequestRead)
async def return_letter_request(
    tracking_no: str, principal: Officer, session: SessionDep, body: OptionalNote = None
) -> LetterRequestRead:
    """Officer: send the request back for correction; a note saying what to fix is required."""
    return await _officer_action(Action.RETURN, tracking_no, principal, session, body)


@router.post("/{tracking_no}/resubmit", response_model=LetterRequestRead)
async def resubmit_letter_request(
    tracking_no: str,
    data: LetterRequestResubmit,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
) -> LetterRequestRead:
    """Citizen: send corrections for a returned request (returned -> edited)."""
    request = await service.resubmit_request(
        session, principal=principal, pii=runtime.pii, tracking_no=tracking_no, data=data
    )
    return LetterRequestRead.of(request)


@router.post("/{tracking_no}/cancel", response_model=LetterRequestRead)
async def cancel_letter_request(
    tracking_no: str, principal: Citizen, session: SessionDep, body: OptionalNote = None
) -> LetterRequestRead:
    """Citizen: withdraw a request that has not been decided yet."""
    request = await service.cancel_request(
        session, principal=principal, tracking_no=tracking_no, note=body.note if body else None
    )
    return LetterRequestRead.of(request)
