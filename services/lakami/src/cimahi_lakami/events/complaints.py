"""Events of a complaint, enqueued in the outbox inside the transaction of the change.

Each change writes the domain event ``id.go.cimahikota.lakami.complaint.<verb>.v1`` and the
platform's ``request.lifecycle.v1`` (``request_kind`` ``complaint.<category>``), so complaints
appear in the citizen's unified request list. Both are built and validated by LAKAMI's
:data:`~cimahi_lakami.events.catalogue.CATALOGUE`. The domain event carries no name, contact,
description, location or account id: only the tracking number, the area, the category and the
statuses (:class:`~cimahi_lakami.events.catalogue.ComplaintEventV1`). The lifecycle event also
carries the owner's opaque subject (also for anonymous complaints: the author must find them in
their own list) and the officer's public note.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_lakami.auth import AGENCY
from cimahi_lakami.events.catalogue import CATALOGUE, COMPLAINT_EVENTS, ComplaintEventV1
from cimahi_lakami.models import Complaint
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus
from cimahi_shared.events.outbox import enqueue

VERBS = tuple(COMPLAINT_EVENTS)


def complaint_event_type(verb: str) -> str:
    """``id.go.cimahikota.lakami.complaint.<verb>.v1``."""
    if verb not in VERBS:
        raise ValueError(f"unknown complaint event verb {verb!r}")
    return CATALOGUE.spec(f"complaint.{verb}").type_for(AGENCY)


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
    complaint_event_type(verb)  # an unknown verb is a ValueError, as before
    payload = ComplaintEventV1(
        tracking_no=complaint.tracking_no,
        category=complaint.category_code,
        complaint_type=complaint.complaint_type,
        kelurahan_code=complaint.kelurahan_code,
        kecamatan_code=complaint.kecamatan_code,
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
    due_at = complaint.verify_due_at if complaint.status == "submitted" else complaint.answer_due_at
    lifecycle = RequestLifecycleV1(
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
    )
    for name, data in ((f"complaint.{verb}", payload), ("request.lifecycle", lifecycle)):
        cloud, subject = CATALOGUE.event(
            name, subject=complaint.tracking_no, data=data, time=occurred_at
        )
        await enqueue(session, cloud, subject=subject)
