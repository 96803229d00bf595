"""Events of taxpayer requests, enqueued in the transaction of the change (outbox).

Every change publishes the platform's ``request.lifecycle.v1`` (the citizen's unified request
list) and a domain event ``id.go.cimahikota.epbb.taxpayer_request.<verb>.v1`` with ``verb`` one
of :data:`VERBS`, subject = the tracking number. No domain payload carries a NIK, a name or an
officer's note: ids, the NOP, the kelurahan code, the tax year, statuses and, once decided, the
amounts and the names of the changed fields
(:class:`~cimahi_epbb.events.catalogue.TaxpayerRequestV1`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.auth import AGENCY
from cimahi_epbb.events.catalogue import CATALOGUE, REQUEST_VERBS, publish_lifecycle
from cimahi_epbb.events.catalogue import publish as publish_event
from cimahi_epbb.models import TaxpayerRequest
from cimahi_epbb.requests.kinds import REQUEST_KIND, UNIFIED
from cimahi_shared.events.lifecycle import RequestLifecycleV1

VERBS = REQUEST_VERBS


def domain_event_type(verb: str) -> str:
    """``id.go.cimahikota.epbb.taxpayer_request.<verb>.v1``."""
    if verb not in VERBS:
        raise ValueError(f"unknown taxpayer request event {verb!r}")
    return CATALOGUE.spec(f"taxpayer_request.{verb}").type_for(AGENCY)


def domain_data(request: TaxpayerRequest) -> dict[str, Any]:
    """The domain event's payload: no NIK, no name."""
    data: dict[str, Any] = {
        "request_id": request.id,
        "tracking_no": request.tracking_no,
        "kind": request.kind,
        "nop": request.nop,
        "tax_year": request.tax_year,
        "kelurahan_code": request.kelurahan_code,
        "bill_id": request.bill_id,
        "status": request.status,
        "sequence": request.sequence,
    }
    if request.status == "approved":
        data["outcome_bill_id"] = request.outcome_bill_id
        data["granted_reduction"] = request.granted_reduction
        decision = request.decision or {}
        data["principal"] = decision.get("principal")
        data["changed_fields"] = decision.get("changed_fields")
    return data


async def publish(
    session: AsyncSession,
    request: TaxpayerRequest,
    *,
    verb: str,
    title: str,
    note: str | None,
    occurred_at: datetime,
) -> None:
    """Enqueue the domain event of ``verb`` and the lifecycle event of the request's state."""
    payload = RequestLifecycleV1(
        tracking_no=request.tracking_no,
        agency=AGENCY,
        request_kind=REQUEST_KIND[request.kind],
        title=title,
        owner_sub=request.owner_sub,
        area=request.kelurahan_code,
        agency_status=request.status,
        status=UNIFIED[request.status],
        note=note,
        occurred_at=occurred_at,
        sequence=request.sequence,
        submitted_at=request.submitted_at,
        due_at=request.due_at,
    )
    await session.flush()
    await publish_event(
        session,
        f"taxpayer_request.{verb}",
        subject=request.tracking_no,
        data={**domain_data(request), "occurred_at": occurred_at},
        time=occurred_at,
    )
    await publish_lifecycle(session, payload)
