"""HTTP surface of reconciliation: a channel's settlement file in, the differences out."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from cimahi_epbb.clock import ClockDep
from cimahi_epbb.reconciliation import service
from cimahi_epbb.reconciliation.schemas import ReconciliationRead
from cimahi_shared.app import SessionDep
from cimahi_shared.auth import CurrentPrincipal
from cimahi_shared.errors import PROBLEM_JSON, ProblemError

router = APIRouter(tags=["reconciliation"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
CSV_TYPES = ("text/csv", "application/csv")


class UnsupportedMediaType(ProblemError):
    status, code, title = 415, "unsupported-media-type", "Send the file as text/csv"


@router.post(
    "/v1/admin/reconciliations",
    status_code=201,
    response_model=ReconciliationRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "channel_reference,ntpd,amount,paid_at\n"
                    "BJB-0001,32772606010000001,431228,2026-06-01T10:00:00+07:00\n",
                }
            },
        }
    },
    responses={403: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM},
)
async def reconcile(
    request: Request,
    principal: CurrentPrincipal,
    session: SessionDep,
    clock: ClockDep,
    channel: Annotated[str, Query(min_length=1, max_length=32, description="Channel code")],
    day: Annotated[date, Query(description="Settlement day (WIB), YYYY-MM-DD")],
) -> ReconciliationRead:
    """Reconcile a channel's settlement CSV of a day with E-PBB's confirmed payments."""
    service.require_reconciler(principal)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaType("The settlement file must be sent as text/csv.")
    return await service.reconcile(
        session,
        principal=principal,
        channel=channel,
        day=day,
        raw=await request.body(),
        now=clock.now,
    )


@router.get(
    "/v1/admin/reconciliations/{reconciliation_id}",
    response_model=ReconciliationRead,
    responses={403: _PROBLEM, 404: _PROBLEM},
)
async def read_reconciliation(
    reconciliation_id: str, principal: CurrentPrincipal, session: SessionDep
) -> ReconciliationRead:
    """A stored reconciliation report."""
    return await service.get_reconciliation(
        session, principal=principal, reconciliation_id=reconciliation_id
    )


@router.get(
    "/v1/admin/reconciliations/{reconciliation_id}/differences.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, 403: _PROBLEM, 404: _PROBLEM},
)
async def reconciliation_differences(
    reconciliation_id: str, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """The differences of a report as CSV (kind, channel_reference, ntpd, ours, theirs, line)."""
    report = await service.get_reconciliation(
        session, principal=principal, reconciliation_id=reconciliation_id
    )
    return Response(
        service.differences_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="reconciliation-{report.id}.csv"',
        },
    )
