"""SIPINTER's events: the platform's request lifecycle, and its own domain events.

Every change of a submitted application enqueues ``request.lifecycle.v1`` (the applicant's
unified status, tracking number = the registration number) in the transaction of the change.
Domain events are ``id.go.cimahikota.sipinter.<entity>.<verb>.v1`` with ``entity.verb`` one of
:data:`DOMAIN_EVENTS`; their subject is the application's or the permit's opaque id. Each is
declared with the model of its data in :mod:`cimahi_sipinter.events.catalogue` and validated
against it before it is enqueued. No payload carries a NIK, a person's name or a free-text
note: ids, registration and permit numbers, the permit type, the business's NIB, kelurahan
codes, dates, amounts and requirement codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.events.lifecycle import RequestLifecycleV1
from cimahi_sipinter.applications.states import UNIFIED
from cimahi_sipinter.auth import AGENCY
from cimahi_sipinter.catalogue.standards import CATALOGUE as PERMIT_TYPES
from cimahi_sipinter.events import catalogue as events
from cimahi_sipinter.models import Application

DOMAIN_EVENTS = tuple(name for name in events.CATALOGUE.specs if name != "request.lifecycle")
"""Every domain event SIPINTER publishes (the integrators' catalogue lists these)."""


def domain_event_type(name: str) -> str:
    """``id.go.cimahikota.sipinter.<name>.v1``."""
    if name not in DOMAIN_EVENTS:
        raise ValueError(f"unknown SIPINTER event {name!r}")
    return events.CATALOGUE.spec(name).type_for(AGENCY)


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
        "due_at": application.due_at,
    }


async def publish_lifecycle(
    session: AsyncSession, application: Application, *, note: str | None, occurred_at: datetime
) -> None:
    """Enqueue the lifecycle event of the application's current state (same transaction).

    Drafts publish nothing; the caller has already incremented ``application.sequence``.
    """
    if application.registration_number is None or application.status not in UNIFIED:
        return
    permit = PERMIT_TYPES[application.permit_type]
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
    await events.publish_lifecycle(session, payload)


async def publish_domain(
    session: AsyncSession,
    name: str,
    *,
    subject: str,
    data: dict[str, Any],
    occurred_at: datetime,
) -> None:
    """Enqueue one domain event (same transaction as the change it reports), its data validated
    against the catalogue (``KeyError``: undeclared; ``pydantic.ValidationError``: bad data)."""
    await events.publish(
        session, name, subject=subject, data={**data, "occurred_at": occurred_at}, time=occurred_at
    )


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
