"""SIPINTER's events: the platform's request lifecycle, and its own domain events.

Every change of a submitted application enqueues ``request.lifecycle.v1`` (the applicant's
unified status, tracking number = the registration number) in the transaction of the change.
Domain events are ``id.go.cimahikota.sipinter.<entity>.<verb>.v1`` with ``entity.verb`` one of
:data:`DOMAIN_EVENTS`; their subject is the application's or the permit's opaque id. No payload
carries a NIK or a person's name: ids, registration and permit numbers, the permit type, the
business's NIB, kelurahan codes, dates, amounts and requirement codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.events.envelope import TYPE_PREFIX, CloudEvent, nats_subject
from cimahi_shared.events.lifecycle import LIFECYCLE_V1, RequestLifecycleV1, lifecycle_event
from cimahi_shared.events.outbox import enqueue
from cimahi_sipinter.applications.states import UNIFIED
from cimahi_sipinter.auth import AGENCY
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.models import Application

SOURCE = "/" + AGENCY
DOMAIN_EVENTS = (
    "application.submitted",
    "application.returned",
    "application.resubmitted",
    "application.verified",
    "application.levy_due",
    "application.levy_paid",
    "application.deemed_approved",
    "application.rejected",
    "application.withdrawn",
    "permit.issued",
    "permit.revoked",
    "permit.expiring",
)
"""Every domain event SIPINTER publishes (the integrators' catalogue lists these)."""

DOMAIN_SCHEMA_V1 = "https://api.cimahikota.go.id/schemas/sipinter/{name}/v1.json"


def domain_event_type(name: str) -> str:
    """``id.go.cimahikota.sipinter.<name>.v1``."""
    if name not in DOMAIN_EVENTS:
        raise ValueError(f"unknown SIPINTER event {name!r}")
    return f"{TYPE_PREFIX}{AGENCY}.{name}.v1"


def application_facts(application: Application) -> dict[str, Any]:
    """What every application event says about it (nothing personal)."""
    return {
        "application_id": application.id,
        "registration_number": application.registration_number,
        "permit_type": application.permit_type,
        "tier": application.tier,
        "business_id": application.business_id,
        "kelurahan_code": application.kelurahan_code,
        "status": application.status,
        "stage": application.stage,
        "due_at": application.due_at.isoformat() if application.due_at else None,
    }


async def publish_lifecycle(
    session: AsyncSession, application: Application, *, note: str | None, occurred_at: datetime
) -> None:
    """Enqueue the lifecycle event of the application's current state (same transaction).

    Drafts publish nothing; the caller has already incremented ``application.sequence``.
    """
    if application.registration_number is None or application.status not in UNIFIED:
        return
    permit = CATALOGUE[application.permit_type]
    payload = RequestLifecycleV1(
        tracking_no=application.registration_number,
        agency=AGENCY,
        request_kind=f"permit.{application.permit_type.lower()}",
        title=permit.name_id,
        owner_sub=application.applicant_sub,
        area=application.kelurahan_code,
        agency_status=application.status,
        status=UNIFIED[application.status],
        note=note,
        occurred_at=occurred_at,
        sequence=application.sequence,
        submitted_at=application.submitted_at,
        due_at=application.due_at if application.status != "returned" else None,
    )
    await session.flush()
    await enqueue(
        session,
        lifecycle_event(source=SOURCE, payload=payload),
        subject=nats_subject(AGENCY, LIFECYCLE_V1),
    )


async def publish_domain(
    session: AsyncSession,
    name: str,
    *,
    subject: str,
    data: dict[str, Any],
    occurred_at: datetime,
) -> None:
    """Enqueue one domain event (same transaction as the change it reports)."""
    event_type = domain_event_type(name)
    cloud = CloudEvent(
        source=SOURCE,
        type=event_type,
        subject=subject,
        time=occurred_at,
        dataschema=DOMAIN_SCHEMA_V1.format(name=name.replace(".", "-")),
        data={**data, "occurred_at": occurred_at.isoformat()},
    )
    await enqueue(session, cloud, subject=nats_subject(AGENCY, event_type))


async def publish_application_event(
    session: AsyncSession,
    name: str,
    application: Application,
    *,
    occurred_at: datetime,
    **extra: Any,
) -> None:
    """Enqueue an ``application.*`` domain event with the application's facts and ``extra``."""
    await publish_domain(
        session,
        name,
        subject=application.id,
        data={**application_facts(application), **extra},
        occurred_at=occurred_at,
    )
