"""Complaint endpoints: citizens file and follow, officers of the area handle, admins issue keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cimahi_lakami.auth import Citizen, Officer
from cimahi_lakami.complaints import service
from cimahi_lakami.complaints.categories import (
    ANSWER_WORKING_DAYS,
    CATEGORIES,
    VERIFY_WORKING_DAYS,
)
from cimahi_lakami.complaints.deadlines import Deadlines, DeadlinesDep
from cimahi_lakami.complaints.schemas import (
    ActionNote,
    CategoryRead,
    ComplaintCreate,
    ComplaintPage,
    ComplaintRead,
    ComplaintSummary,
    ForwardBody,
    InfoBody,
    NotAuthorityBody,
    RatingBody,
)
from cimahi_lakami.complaints.service import View
from cimahi_lakami.complaints.workflow import ANSWERED, Action, ComplaintStatus
from cimahi_lakami.models import Complaint, Open311ApiKey
from cimahi_shared.app import SessionDep
from cimahi_shared.auth import CurrentPrincipal, Principal, require_roles
from cimahi_shared.errors import PROBLEM_JSON
from cimahi_shared.idempotency import refuse_idempotency_key

router = APIRouter(prefix="/v1/complaints", tags=["complaints"])
public_router = APIRouter(prefix="/v1/public", tags=["complaints"])
admin_router = APIRouter(prefix="/v1/admin", tags=["open311"])

OptionalNote = Annotated[ActionNote | None, Body()]
Admin = Annotated[Principal, require_roles("admin")]


def _read(complaint: Complaint, view: View, deadlines: Deadlines) -> ComplaintRead:
    answered = ComplaintStatus(complaint.status) in ANSWERED
    return ComplaintRead.of(
        complaint,
        show_author=view.show_author,
        full=view.full,
        now=deadlines.now,
        reopen_until=service.reopen_until(complaint, deadlines) if answered else None,
    )


@public_router.get("/complaint-categories", response_model=list[CategoryRead])
async def list_complaint_categories() -> list[CategoryRead]:
    """Complaint categories with their SP4N-LAPOR! type and deadlines (no token needed)."""
    return [
        CategoryRead(
            code=c.code,
            name=c.name,
            description=c.description,
            group=c.group,
            complaint_type=c.complaint_type.value,
            verify_working_days=VERIFY_WORKING_DAYS,
            answer_working_days=ANSWER_WORKING_DAYS[c.complaint_type],
        )
        for c in CATEGORIES
    ]


@router.post("", response_model=ComplaintRead, status_code=status.HTTP_201_CREATED)
async def file_complaint(
    data: ComplaintCreate,
    principal: Citizen,
    session: SessionDep,
    deadlines: DeadlinesDep,
    response: Response,
) -> ComplaintRead:
    """File a complaint (send an Idempotency-Key to retry safely); returns its tracking number."""
    complaint = await service.file_complaint(
        session, principal=principal, data=data, deadlines=deadlines
    )
    response.headers["Location"] = f"complaints/{complaint.tracking_no}"
    return _read(complaint, View(full=True, show_author=True, owner=True, officer=False), deadlines)


@router.get("", response_model=ComplaintPage)
async def list_complaints(
    principal: CurrentPrincipal,
    session: SessionDep,
    deadlines: DeadlinesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[ComplaintStatus | None, Query()] = None,
    due: Annotated[
        Literal["overdue", "soon"] | None,
        Query(description="overdue: deadline passed; soon: passes within the due-soon window"),
    ] = None,
) -> ComplaintPage:
    """Complaints you handle or filed, newest first: yours, your area's (officer), all (admin)."""
    items, next_cursor = await service.list_complaints(
        session,
        principal=principal,
        deadlines=deadlines,
        limit=limit,
        cursor=cursor,
        status=status,
        due=due,
    )
    return ComplaintPage(
        items=[ComplaintSummary.of(c, now=deadlines.now) for c in items], next_cursor=next_cursor
    )


@router.get("/{tracking_no}", response_model=ComplaintRead)
async def get_complaint(
    tracking_no: str, principal: CurrentPrincipal, session: SessionDep, deadlines: DeadlinesDep
) -> ComplaintRead:
    """One complaint with its history, as far as you may see it."""
    complaint, view = await service.get_complaint(
        session, principal=principal, tracking_no=tracking_no, deadlines=deadlines
    )
    return _read(complaint, view, deadlines)


async def _officer_action(
    action: Action,
    tracking_no: str,
    principal: Principal,
    session: SessionDep,
    deadlines: DeadlinesDep,
    note: str | None,
    responsible_agency: str | None = None,
) -> ComplaintRead:
    complaint, view = await service.act_as_officer(
        session,
        principal=principal,
        tracking_no=tracking_no,
        action=action,
        note=note,
        responsible_agency=responsible_agency,
        deadlines=deadlines,
    )
    return _read(complaint, view, deadlines)


@router.post("/{tracking_no}/verify", response_model=ComplaintRead)
async def verify_complaint(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    deadlines: DeadlinesDep,
    body: OptionalNote = None,
) -> ComplaintRead:
    """Officer: the complaint is complete and genuine (submitted -> verified)."""
    note = body.note if body else None
    return await _officer_action(Action.VERIFY, tracking_no, principal, session, deadlines, note)


@router.post("/{tracking_no}/forward", response_model=ComplaintRead)
async def forward_complaint(
    tracking_no: str,
    body: ForwardBody,
    principal: Officer,
    session: SessionDep,
    deadlines: DeadlinesDep,
) -> ComplaintRead:
    """Officer: forwarded to the agency that handles it (stays open until answered)."""
    return await _officer_action(
        Action.FORWARD,
        tracking_no,
        principal,
        session,
        deadlines,
        body.note,
        body.responsible_agency,
    )


@router.post("/{tracking_no}/answer", response_model=ComplaintRead)
async def answer_complaint(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    deadlines: DeadlinesDep,
    body: OptionalNote = None,
) -> ComplaintRead:
    """Officer: the answer to the citizen (the note, required)."""
    note = body.note if body else None
    return await _officer_action(Action.ANSWER, tracking_no, principal, session, deadlines, note)


@router.post("/{tracking_no}/not-authority", response_model=ComplaintRead)
async def not_our_authority(
    tracking_no: str,
    body: NotAuthorityBody,
    principal: Officer,
    session: SessionDep,
    deadlines: DeadlinesDep,
) -> ComplaintRead:
    """Officer: not LAKAMI's authority; ``responsible_agency`` names who is responsible."""
    return await _officer_action(
        Action.NOT_AUTHORITY,
        tracking_no,
        principal,
        session,
        deadlines,
        body.note,
        body.responsible_agency,
    )


@router.post("/{tracking_no}/close", response_model=ComplaintRead)
async def close_complaint(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    deadlines: DeadlinesDep,
    body: OptionalNote = None,
) -> ComplaintRead:
    """Officer: close an answered complaint."""
    note = body.note if body else None
    return await _officer_action(Action.CLOSE, tracking_no, principal, session, deadlines, note)


@router.post("/{tracking_no}/archive", response_model=ComplaintRead)
async def archive_complaint(
    tracking_no: str,
    principal: Officer,
    session: SessionDep,
    deadlines: DeadlinesDep,
    body: OptionalNote = None,
) -> ComplaintRead:
    """Officer: archive spam or a duplicate; the note (required) says why."""
    note = body.note if body else None
    return await _officer_action(Action.ARCHIVE, tracking_no, principal, session, deadlines, note)


@router.post("/{tracking_no}/info", response_model=ComplaintRead)
async def add_complaint_info(
    tracking_no: str,
    body: InfoBody,
    principal: Citizen,
    session: SessionDep,
    deadlines: DeadlinesDep,
) -> ComplaintRead:
    """Citizen: add information while the complaint is open."""
    complaint, view = await service.add_info(
        session,
        principal=principal,
        tracking_no=tracking_no,
        note=body.note,
        photo_upload_ids=list(body.photo_upload_ids),
        deadlines=deadlines,
    )
    return _read(complaint, view, deadlines)


@router.post("/{tracking_no}/rating", response_model=ComplaintRead)
async def rate_complaint(
    tracking_no: str,
    body: RatingBody,
    principal: Citizen,
    session: SessionDep,
    deadlines: DeadlinesDep,
) -> ComplaintRead:
    """Citizen: rate the answer from 1 to 5, once."""
    complaint, view = await service.rate(
        session,
        principal=principal,
        tracking_no=tracking_no,
        rating=body.rating,
        comment=body.comment,
        deadlines=deadlines,
    )
    return _read(complaint, view, deadlines)


@router.post("/{tracking_no}/reopen", response_model=ComplaintRead)
async def reopen_complaint(
    tracking_no: str,
    principal: Citizen,
    session: SessionDep,
    deadlines: DeadlinesDep,
    body: OptionalNote = None,
) -> ComplaintRead:
    """Citizen: not satisfied - reopen within the window (a note saying why is required)."""
    complaint, view = await service.reopen(
        session,
        principal=principal,
        tracking_no=tracking_no,
        note=body.note if body else None,
        deadlines=deadlines,
    )
    return _read(complaint, view, deadlines)


class ApiKeyCreate(BaseModel):
    """A new Open311 client."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=100)]


class ApiKeyCreated(BaseModel):
    """The key, shown this once (only its hash is stored)."""

    id: str
    name: str
    api_key: str = Field(description="Send as api_key to POST /open311/v2/requests.json")


class ApiKeyRead(BaseModel):
    """An API key without its secret (only a hash is stored)."""

    id: str
    name: str
    key_prefix: str = Field(description="First characters of the key, to recognise it")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, key: Open311ApiKey) -> ApiKeyRead:
        """From a row."""
        return cls(
            id=key.id,
            name=key.name,
            key_prefix=key.key_prefix,
            created_by=key.created_by,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            active=key.revoked_at is None,
        )


@admin_router.get("/open311-keys", response_model=list[ApiKeyRead])
async def list_open311_keys(principal: Admin, session: SessionDep) -> list[ApiKeyRead]:
    """Admin: every Open311 API key, revoked ones too, without secrets."""
    return [ApiKeyRead.of(key) for key in await service.list_api_keys(session)]


@admin_router.delete("/open311-keys/{key_id}", response_model=ApiKeyRead)
async def revoke_open311_key(
    key_id: Annotated[str, Path(max_length=26)],
    principal: Admin,
    session: SessionDep,
    deadlines: DeadlinesDep,
) -> ApiKeyRead:
    """Admin: revoke a key; the client is refused from then on (revoking twice is harmless)."""
    key = await service.revoke_api_key(session, key_id=key_id, now=deadlines.now)
    return ApiKeyRead.of(key)


@admin_router.post(
    "/open311-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(refuse_idempotency_key)],
    responses={409: {"description": "The name is taken", "content": {PROBLEM_JSON: {}}}},
)
async def create_open311_key(
    data: ApiKeyCreate,
    principal: Admin,
    session: SessionDep,
    deadlines: DeadlinesDep,
) -> ApiKeyCreated:
    """Admin: issue an Open311 API key for a client (shown once; no Idempotency-Key)."""
    key, raw = await service.create_api_key(
        session, name=data.name, created_by=principal.sub, now=deadlines.now
    )
    return ApiKeyCreated(id=key.id, name=key.name, api_key=raw)
