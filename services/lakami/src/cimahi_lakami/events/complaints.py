"""Events of a complaint, enqueued in the outbox inside the transaction of the change.

Each change writes the domain event ``id.go.cimahikota.lakami.complaint.<verb>.v1`` and the
platform's ``request.lifecycle.v1`` (``request_kind`` ``complaint.<category>``), so complaints
appear in the citizen's unified request list. Neither carries a name, a contact, a description or
a location: only the tracking number, the owner's opaque subject (also for anonymous complaints:
the author must find them in their own list), the area and the status.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.auth import AGENCY
from cimahi_lakami.models import Complaint
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.events.lifecycle import (
    LIFECYCLE_V1,
    RequestLifecycleV1,
    UnifiedStatus,
    lifecycle_event,
)
from cimahi_shared.events.outbox import enqueue

SOURCE = "/" + AGENCY
COMPLAINT_SCHEMA_V1 = "https://api.cimahikota.go.id/schemas/lakami/complaint-event/v1.json"
VERBS = (
    "submitted",
    "verified",
    "forwarded",
    "answered",
    "not_authority",
    "closed",
    "archived",
    "info_added",
    "rated",
    "reopened",
)


def complaint_event_type(verb: str) -> str:
    """``id.go.cimahikota.lakami.complaint.<verb>.v1``."""
    if verb not in VERBS:
        raise ValueError(f"unknown complaint event verb {verb!r}")
    return f"{TYPE_PREFIX}{AGENCY}.complaint.{verb}.v1"


class ComplaintEventV1(BaseModel):
    """Payload of every ``complaint.<verb>.v1`` event (no personal data beyond ``owner_sub``)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    tracking_no: str
    category: str
    complaint_type: str
    kelurahan_code: str
    kecamatan_code: str
    owner_sub: str
    anonymous: bool
    public: bool
    previous_status: str | None = Field(description="Agency status before the change")
    agency_status: str
    status: UnifiedStatus
    sequence: int = Field(ge=1, description="Same counter as the lifecycle event of this change")
    actor_role: str
    responsible_agency: str | None = None
    verify_due_at: datetime
    answer_due_at: datetime
    occurred_at: datetime


async def publish_complaint_change(
    session: AsyncSession,
    *,
    complaint: Complaint,
    title: str,
    verb: str,
    previous_status: str | None,
    status: UnifiedStatus,
    actor_role: str,
    note: str | None,
    occurred_at: datetime,
) -> None:
    """Enqueue the domain event and the lifecycle event of one change (same transaction).

    ``note`` goes only into the lifecycle event (it is the officer's word to the citizen); the
    citizen's own texts (added information, rating comments) are never passed here.
    """
    event_type = complaint_event_type(verb)
    payload = ComplaintEventV1(
        tracking_no=complaint.tracking_no,
        category=complaint.category_code,
        complaint_type=complaint.complaint_type,
        kelurahan_code=complaint.kelurahan_code,
        kecamatan_code=complaint.kecamatan_code,
        owner_sub=complaint.owner_sub,
        anonymous=complaint.anonymous,
        public=complaint.public,
        previous_status=previous_status,
        agency_status=complaint.status,
        status=status,
        sequence=complaint.sequence,
        actor_role=actor_role,
        responsible_agency=complaint.responsible_agency,
        verify_due_at=complaint.verify_due_at,
        answer_due_at=complaint.answer_due_at,
        occurred_at=occurred_at,
    )
    domain = CloudEvent(
        source=SOURCE,
        type=event_type,
        subject=complaint.tracking_no,
        time=occurred_at,
        dataschema=COMPLAINT_SCHEMA_V1,
        data=payload.model_dump(mode="json"),
    )
    await enqueue(session, domain, subject=nats_subject(AGENCY, event_type))
    due_at = complaint.verify_due_at if complaint.status == "submitted" else complaint.answer_due_at
    lifecycle = lifecycle_event(
        source=SOURCE,
        payload=RequestLifecycleV1(
            tracking_no=complaint.tracking_no,
            agency=AGENCY,
            request_kind=f"complaint.{complaint.category_code}",
            title=title,
            owner_sub=complaint.owner_sub,
            area=complaint.kelurahan_code,
            agency_status=complaint.status,
            status=status,
            note=note,
            occurred_at=occurred_at,
            sequence=complaint.sequence,
            submitted_at=complaint.submitted_at,
            due_at=due_at,
        ),
    )
    await enqueue(session, lifecycle, subject=nats_subject(AGENCY, LIFECYCLE_V1))
