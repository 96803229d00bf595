"""Letter request endpoints: citizens submit and follow, kelurahan and kecamatan officers decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from cimahi_lakami.auth import Citizen, Officer, Reader
from cimahi_lakami.letters import service
from cimahi_lakami.letters.deadlines import ClockDep
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
    clock: ClockDep,
    response: Response,
) -> LetterRequestRead:
    """Submit a request for a letter from your kelurahan (send an Idempotency-Key to retry safely).

    ``attachments`` claims your uploads for the letter type's requirements in the same
    transaction: a refused submission leaves them unattached.
    """
    detail = await service.submit_request(
        session, principal=principal, pii=runtime.pii, data=data, clock=clock
    )
    # Relative reference: resolves correctly both directly and behind the gateway's /api/lakami/.
    response.headers["Location"] = f"letter-requests/{detail.request.tracking_no}"
    return _read(detail)


def _read(detail: service.Detail) -> LetterRequestRead:
    return LetterRequestRead.of(detail.request, detail.now, attachments=detail.attachments)


@router.get("", response_model=LetterRequestPage)
async def list_letter_requests(
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[AgencyStatus | None, Query(description="LAKAMI status")] = None,
    letter_type: Annotated[str | None, Query(max_length=40)] = None,
    due: Annotated[
        service.Due | None,
        Query(description="Open requests you act on, by deadline: overdue or due_soon"),
    ] = None,
) -> LetterRequestPage:
    """Requests you may see, newest first (with ``due``: earliest deadline first).

    Yours (citizen), your kelurahan's (kelurahan officer), your kecamatan's that reached the
    kecamatan (kecamatan officer), all (admin).
    """
    items, next_cursor = await service.list_requests(
        session,
        principal=principal,
        limit=limit,
        cursor=cursor,
        status=status,
        letter_type=letter_type,
        due=due,
        clock=clock,
    )
    return LetterRequestPage(
        items=[LetterRequestSummary.of(r, clock.now) for r in items], next_cursor=next_cursor
    )


@router.get("/{tracking_no}", response_model=LetterRequestRead)
async def get_letter_request(
    tracking_no: str, principal: Reader, session: SessionDep, clock: ClockDep
) -> LetterRequestRead:
    """One request with its attachments and history."""
    detail = await service.get_request(
        session, principal=principal, tracking_no=tracking_no, clock=clock
    )
    return _read(detail)


async def _officer_action(
    action: Action,
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: ActionNote | None,
) -> LetterRequestRead:
    detail = await service.act_as_officer(
        session,
        principal=principal,
        tracking_no=tracking_no,
        action=action,
        note=body.note if body else None,
        clock=clock,
    )
    return _read(detail)


@router.post("/{tracking_no}/verify", response_model=LetterRequestRead)
async def verify_letter_request(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalNote = None,
) -> LetterRequestRead:
    """Officer: the data and documents are checked (submitted/edited -> verify)."""
    return await _officer_action(Action.VERIFY, tracking_no, principal, session, clock, body)


@router.post("/{tracking_no}/process", response_model=LetterRequestRead)
async def process_letter_request(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalNote = None,
) -> LetterRequestRead:
    """Officer: the letter is being prepared (verify -> process)."""
    return await _officer_action(Action.PROCESS, tracking_no, principal, session, clock, body)


@router.post("/{tracking_no}/approve", response_model=LetterRequestRead)
async def approve_letter_request(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalNote = None,
) -> LetterRequestRead:
    """Officer: approve (process -> approved).

    The kelurahan's approval of a letter type that needs the kecamatan forwards the request to
    the kecamatan (status ``submitted`` at level ``kecamatan``); the final approval numbers and
    signs the letter and gives it its verification code.
    """
    return await _officer_action(Action.APPROVE, tracking_no, principal, session, clock, body)


@router.post("/{tracking_no}/reject", response_model=LetterRequestRead)
async def reject_letter_request(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalNote = None,
) -> LetterRequestRead:
    """Officer: refuse the request; a note with the reason is required."""
    return await _officer_action(Action.REJECT, tracking_no, principal, session, clock, body)


@router.post("/{tracking_no}/return", response_model=LetterRequestRead)
async def return_letter_request(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalNote = None,
) -> LetterRequestRead:
    """Officer: send the request back for correction; a note saying what to fix is required."""
    return await _officer_action(Action.RETURN, tracking_no, principal, session, clock, body)


@router.post("/{tracking_no}/resubmit", response_model=LetterRequestRead)
async def resubmit_letter_request(
    tracking_no: str,
    data: LetterRequestResubmit,
    principal: Citizen,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
) -> LetterRequestRead:
    """Citizen: send corrections (and more attachments) for a returned request (-> edited).

    The deadline restarts from the resubmission.
    """
    detail = await service.resubmit_request(
        session,
        principal=principal,
        pii=runtime.pii,
        tracking_no=tracking_no,
        data=data,
        clock=clock,
    )
    return _read(detail)


@router.post("/{tracking_no}/cancel", response_model=LetterRequestRead)
async def cancel_letter_request(
    tracking_no: str,
    principal: Citizen,
    session: SessionDep,
    clock: ClockDep,
    body: OptionalNote = None,
) -> LetterRequestRead:
    """Citizen: withdraw a request that is still open (at the kelurahan or the kecamatan)."""
    detail = await service.cancel_request(
        session,
        principal=principal,
        tracking_no=tracking_no,
        note=body.note if body else None,
        clock=clock,
    )
    return _read(detail)
