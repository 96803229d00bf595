"""The one place an application changes state: history, deadline clock, lifecycle event.

Every step of every actor (applicant, officer, head, payment channel, the deadline sweep) goes
through :func:`record`, which

* moves ``status`` (and ``stage`` when given), increments ``sequence`` and ``version``;
* pauses the deadline clock when the application starts waiting for the applicant (returned,
  levy to pay) and resumes it with the working days that were left when it stops waiting;
* writes the history row and enqueues ``request.lifecycle.v1`` in the same transaction.

:func:`advance` moves an application to the next stage its tier goes through, issuing the
permit when no stage is left. The ``load_*`` and ``require_*`` helpers are the authorization
rules every step shares: owners of the business, officers of the area, the assigned officer,
the head of office. Services never commit: the request's session commits or rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.calendar import WIB, RequestClock
from cimahi_shared.errors import Conflict, Forbidden, NotFound
from cimahi_sipinter.applications.states import CLOCK_RUNNING, next_stage, status_entering
from cimahi_sipinter.auth import in_area, is_head, is_officer
from cimahi_sipinter.catalogue.schemas import PermitType
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_lifecycle
from cimahi_sipinter.models import Application, ApplicationHistory, BusinessOwner

NOT_FOUND = "No such application."


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes a step: an account (``sub``, ``role``), a payment channel or the system."""

    sub: str
    role: str  # citizen | officer | admin | channel | system
    name: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.sub, principal.role, principal.name)


SYSTEM = Actor("system:sipinter", "system", "SIPINTER")
"""The service itself (deadline sweep, automatic issuance of low-risk registrations)."""


def channel_actor(channel: str) -> Actor:
    """A payment channel confirming a levy payment."""
    return Actor(f"channel:{channel}"[:64], "channel", channel)


def permit_type_of(application: Application) -> PermitType:
    """The catalogue entry of the application's permit type."""
    return CATALOGUE[application.permit_type]


# --- the deadline clock ---


def pause_clock(application: Application, now: datetime, clock: RequestClock) -> None:
    """Stop the deadline: keep the working days left (today counts as used)."""
    if application.paused_at is not None or application.due_at is None:
        return
    today = now.astimezone(WIB).date()
    due_day = application.due_at.astimezone(WIB).date()
    application.remaining_working_days = clock.calendar.working_days_between(today, due_day)
    application.paused_at = now


def resume_clock(application: Application, now: datetime, clock: RequestClock) -> None:
    """Start the deadline again with the working days that were left when it paused."""
    if application.paused_at is None:
        return
    application.paused_seconds += max(0, int((now - application.paused_at).total_seconds()))
    application.due_at = clock.calendar.due_at(now, application.remaining_working_days or 0)
    application.paused_at = None
    application.remaining_working_days = None


# --- recording a step ---

_KEEP = object()


async def record(
    session: AsyncSession,
    application: Application,
    *,
    action: str,
    to_status: str,
    actor: Actor,
    note: str | None,
    clock: RequestClock,
    stage: str | object | None = _KEEP,
) -> None:
    """Move the application, record the step and publish its lifecycle event."""
    now = clock.now
    previous = application.status
    if previous in CLOCK_RUNNING and to_status not in CLOCK_RUNNING:
        pause_clock(application, now, clock)
    elif previous not in CLOCK_RUNNING and to_status in CLOCK_RUNNING:
        resume_clock(application, now, clock)
    application.status = to_status
    if stage is not _KEEP:
        application.stage = stage  # type: ignore[assignment]
    application.sequence += 1
    application.version += 1
    application.updated_at = now
    session.add(
        ApplicationHistory(
            id=str(ULID()),
            application_id=application.id,
            sequence=application.sequence,
            action=action,
            from_status=previous,
            to_status=to_status,
            stage=application.stage,
            note=note,
            actor_sub=actor.sub,
            actor_role=actor.role,
            occurred_at=now,
        )
    )
    await publish_lifecycle(session, application, note=note, occurred_at=now)


async def advance(
    session: AsyncSession,
    application: Application,
    *,
    action: str,
    actor: Actor,
    note: str | None,
    clock: RequestClock,
    settings: SipinterSettings,
) -> None:
    """Move to the next stage of the tier, or issue the permit when no stage is left."""
    permit = permit_type_of(application)
    stage = next_stage(
        permit,
        application.stage,
        survey_requested=application.survey_requested,
        levy_due=application.levy_status == "due",
    )
    if stage is None:
        from cimahi_sipinter.permits.issuance import issue_permit

        signer = actor if actor.role in ("officer", "admin") else None
        await issue_permit(session, application, signer=signer, clock=clock, settings=settings)
        application.decided_at = clock.now
        await record(
            session,
            application,
            action=action,
            to_status="issued",
            actor=actor,
            note=note,
            clock=clock,
            stage=None,
        )
        return
    await record(
        session,
        application,
        action=action,
        to_status=status_entering(stage),
        actor=actor,
        note=note,
        clock=clock,
        stage=stage,
    )


# --- who may act ---


async def get(
    session: AsyncSession, application_id: str, *, for_update: bool = False
) -> Application | None:
    """An application by id (row-locked on PostgreSQL when ``for_update``)."""
    query = select(Application).where(Application.id == application_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def is_owner(session: AsyncSession, principal: Principal, business_id: str) -> bool:
    """Whether the caller owns (or co-owns) the business."""
    query = select(BusinessOwner.id).where(
        BusinessOwner.business_id == business_id, BusinessOwner.owner_sub == principal.sub
    )
    return (await session.execute(query.limit(1))).first() is not None


async def load_for_owner(
    session: AsyncSession, principal: Principal, application_id: str, *, for_update: bool = False
) -> Application:
    """The application, if the caller owns its business; 404 otherwise (as for an unknown id)."""
    application = await get(session, application_id, for_update=for_update)
    if application is None or not await is_owner(session, principal, application.business_id):
        raise NotFound(NOT_FOUND)
    return application


async def load_for_officer(
    session: AsyncSession, principal: Principal, application_id: str, *, for_update: bool = False
) -> Application:
    """The application, if it is in the DPMPTSP officer's area (admins: any); 404 otherwise."""
    application = await get(session, application_id, for_update=for_update)
    if application is None or application.status == "draft":
        raise NotFound(NOT_FOUND)
    if principal.is_admin:
        return application
    if not is_officer(principal) or not in_area(principal, application.kelurahan_code):
        raise NotFound(NOT_FOUND)
    return application


def require_status(application: Application, *allowed: str, action: str) -> None:
    """409 unless the application is in one of ``allowed``."""
    if application.status not in allowed:
        raise Conflict(f"Cannot {action} an application that is {application.status}.")


def require_assigned(principal: Principal, application: Application) -> None:
    """403 unless the caller is the officer assigned to the application's technical stages."""
    if application.assigned_officer_sub is None:
        raise Conflict("No officer is assigned to this application yet: the head assigns one.")
    if application.assigned_officer_sub != principal.sub:
        raise Forbidden("Only the officer assigned to this application can do this.")


def require_head(principal: Principal) -> None:
    """403 unless the caller is the head of DPMPTSP."""
    if not is_head(principal):
        raise Forbidden("Only the head of DPMPTSP can do this.")
