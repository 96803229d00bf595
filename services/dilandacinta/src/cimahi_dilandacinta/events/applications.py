"""Events of an application and of the register changes its issuance makes.

Every change of an application enqueues the platform's ``request.lifecycle.v1`` (the citizen's
unified status). The issuance also enqueues the domain events other services act on:
``id.go.cimahikota.dilandacinta.<entity>.<verb>.v1`` with ``entity.verb`` one of
:data:`DOMAIN_EVENTS` (e.g. ``person.deceased``), subject = the opaque id of the person, family
or document. No payload carries a NIK, a No. KK or a name: only ids, kelurahan codes and dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.auth import AGENCY
from cimahi_dilandacinta.models import Application
from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.events.lifecycle import (
    LIFECYCLE_V1,
    RequestLifecycleV1,
    UnifiedStatus,
    lifecycle_event,
)
from cimahi_shared.events.outbox import enqueue

SOURCE = "/" + AGENCY
DOMAIN_EVENTS = (
    "person.born",
    "person.deceased",
    "person.moved_out",
    "person.moved_in",
    "person.updated",
    "family.card_issued",
    "family.dissolved",
    "document.issued",
)
DOMAIN_SCHEMA_V1 = "https://api.cimahikota.go.id/schemas/dilandacinta/{name}/v1.json"

# Agency status -> the status a citizen sees in the unified list.
UNIFIED: dict[str, UnifiedStatus] = {
    "submitted": UnifiedStatus.SUBMITTED,
    "resubmitted": UnifiedStatus.SUBMITTED,
    "verified": UnifiedStatus.IN_REVIEW,
    "returned": UnifiedStatus.NEEDS_REVISION,
    "awaiting_decision": UnifiedStatus.IN_PROCESS,
    "processing": UnifiedStatus.IN_PROCESS,
    "awaiting_signature": UnifiedStatus.IN_PROCESS,
    "issued": UnifiedStatus.COMPLETED,
    "rejected": UnifiedStatus.REJECTED,
    "cancelled": UnifiedStatus.CANCELLED,
}


@dataclass(frozen=True)
class DomainEvent:
    """A register/document event: ``name`` like ``person.deceased``, ``subject`` an opaque id."""

    name: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)


def domain_event_type(name: str) -> str:
    """``id.go.cimahikota.dilandacinta.<name>.v1``."""
    if name not in DOMAIN_EVENTS:
        raise ValueError(f"unknown DILANDACINTA event {name!r}")
    return f"{TYPE_PREFIX}{AGENCY}.{name}.v1"


def unified_status(agency_status: str) -> UnifiedStatus:
    """The unified status of an agency status."""
    return UNIFIED[agency_status]


async def publish_lifecycle(
    session: AsyncSession,
    application: Application,
    *,
    title: str,
    note: str | None,
    occurred_at: datetime,
) -> None:
    """Enqueue the lifecycle event of the application's current state (same transaction)."""
    payload = RequestLifecycleV1(
        tracking_no=application.tracking_no,
        agency=AGENCY,
        request_kind=f"document.{application.type_code}",
        title=title,
        owner_sub=application.owner_sub,
        area=application.kelurahan_code,
        agency_status=application.status,
        status=unified_status(application.status),
        note=note,
        occurred_at=occurred_at,
        sequence=application.sequence,
        submitted_at=application.submitted_at,
        due_at=application.due_at,
    )
    await session.flush()
    await enqueue(
        session,
        lifecycle_event(source=SOURCE, payload=payload),
        subject=nats_subject(AGENCY, LIFECYCLE_V1),
    )


async def publish_domain(
    session: AsyncSession, events: list[DomainEvent], *, occurred_at: datetime
) -> None:
    """Enqueue register/document events (same transaction as the change)."""
    for event in events:
        event_type = domain_event_type(event.name)
        cloud = CloudEvent(
            source=SOURCE,
            type=event_type,
            subject=event.subject,
            time=occurred_at,
            dataschema=DOMAIN_SCHEMA_V1.format(name=event.name.replace(".", "-")),
            data={**event.data, "occurred_at": occurred_at.isoformat()},
        )
        await enqueue(session, cloud, subject=nats_subject(AGENCY, event_type))
