"""Events of taxpayer requests, enqueued in the transaction of the change (outbox).

Every change publishes the platform's ``request.lifecycle.v1`` (the citizen's unified request
list) and a domain event ``id.go.cimahikota.epbb.taxpayer_request.<verb>.v1`` with ``verb`` one
of :data:`VERBS`, subject = the tracking number. No payload carries a NIK or a name: ids, the
NOP, the kelurahan code, the tax year, statuses and, once decided, the amounts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_epbb.auth import AGENCY
from cimahi_epbb.models import TaxpayerRequest
from cimahi_epbb.requests.kinds import REQUEST_KIND, UNIFIED
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.events.lifecycle import LIFECYCLE_V1, RequestLifecycleV1, lifecycle_event
from cimahi_shared.events.outbox import enqueue

SOURCE = "/" + AGENCY
VERBS = ("submitted", "verified", "returned", "resubmitted", "approved", "rejected", "cancelled")
DOMAIN_SCHEMA_V1 = "https://api.cimahikota.go.id/schemas/epbb/taxpayer-request-{verb}/v1.json"


def domain_event_type(verb: str) -> str:
    """``id.go.cimahikota.epbb.taxpayer_request.<verb>.v1``."""
    if verb not in VERBS:
        raise ValueError(f"unknown taxpayer request event {verb!r}")
    return f"{TYPE_PREFIX}{AGENCY}.taxpayer_request.{verb}.v1"


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
    event_type = domain_event_type(verb)
    domain = CloudEvent(
        source=SOURCE,
        type=event_type,
        subject=request.tracking_no,
        time=occurred_at,
        dataschema=DOMAIN_SCHEMA_V1.format(verb=verb),
        data={**domain_data(request), "occurred_at": occurred_at.isoformat()},
    )
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
    await enqueue(session, domain, subject=nats_subject(AGENCY, event_type))
    await enqueue(
        session,
        lifecycle_event(source=SOURCE, payload=payload),
        subject=nats_subject(AGENCY, LIFECYCLE_V1),
    )
