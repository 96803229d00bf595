"""Events of an application and of the register changes its issuance makes.

Every change of an application enqueues the platform's ``request.lifecycle.v1`` (the citizen's
unified status). The issuance also enqueues the domain events other services act on:
``id.go.cimahikota.dilandacinta.<entity>.<verb>.v1`` with ``entity.verb`` one of
:data:`DOMAIN_EVENTS` (e.g. ``person.deceased``), subject = the opaque id of the person, family
or document. Every payload is validated against DILANDACINTA's
:data:`~cimahi_dilandacinta.events.catalogue.CATALOGUE` before it is enqueued: no payload carries
a NIK, a No. KK or a name, only ids, kelurahan codes and dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_dilandacinta.auth import AGENCY
from cimahi_dilandacinta.events.catalogue import CATALOGUE
from cimahi_dilandacinta.models import Application
from cimahi_shared.events.lifecycle import RequestLifecycleV1, UnifiedStatus

LIFECYCLE = "request.lifecycle"
DOMAIN_EVENTS = tuple(sorted(name for name in CATALOGUE.specs if name != LIFECYCLE))

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
    return CATALOGUE.spec(name).type_for(AGENCY)


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
    await CATALOGUE.publish(
        session, LIFECYCLE, subject=application.tracking_no, data=payload, time=occurred_at
    )


async def publish_domain(
    session: AsyncSession, events: list[DomainEvent], *, occurred_at: datetime
) -> None:
    """Enqueue register/document events (same transaction as the change).

    Raises ``ValueError`` for an event the catalogue does not declare or whose data breaks its
    schema (e.g. a field that is not in it): a programming error, before anything is enqueued.
    """
    for event in events:
        domain_event_type(event.name)
        data = {**event.data, "occurred_at": occurred_at}
        await CATALOGUE.publish(
            session, event.name, subject=event.subject, data=data, time=occurred_at
        )
