"""The one read of an application (:func:`application_read`) every endpoint answers with.

It works for an application in any status: a draft (no deadline, no history yet), one waiting
in a stage, a returned one (deadline paused), a decided one (permit summary). The deadline's
colour is what the officers' queue and the applicant's screen show:

* ``red``: the clock runs and the deadline has passed;
* ``amber``: the clock runs and the deadline falls before ``clock.due_soon_until()``;
* ``green``: the clock runs, with time left;
* ``paused``: the applicant acts (``returned``, ``awaiting_payment``);
* ``none``: a draft, or decided.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.calendar import WIB, RequestClock
from cimahi_sipinter.applications.schemas import (
    ApplicationRead,
    AttachmentRead,
    BusinessRef,
    DeadlineRead,
    HistoryRead,
    LevyRead,
    OfficerRef,
    PermitSummary,
    SurveyRead,
)
from cimahi_sipinter.applications.states import CLOCK_RUNNING
from cimahi_sipinter.catalogue.schemas import PermitType
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.models import Application, ApplicationHistory, Business, Permit
from cimahi_sipinter.uploads.service import uploads_of

Colour = Literal["red", "amber", "green", "paused", "none"]

PAUSED_STATUSES = frozenset({"returned", "awaiting_payment"})
"""The applicant acts in these: the deadline clock is stopped."""


def deadline_colour(application: Application, clock: RequestClock) -> Colour:
    """The deadline's colour for the queue (see the module's docstring)."""
    if application.status in PAUSED_STATUSES:
        return "paused"
    if application.status not in CLOCK_RUNNING or application.due_at is None:
        return "none"
    if application.due_at < clock.now:
        return "red"
    if application.due_at < clock.due_soon_until():
        return "amber"
    return "green"


def deadline_of(application: Application, clock: RequestClock) -> DeadlineRead:
    """The deadline: when it falls, its colour and the working days left (kept while paused)."""
    colour = deadline_colour(application, clock)
    left: int | None = None
    if colour == "paused":
        left = application.remaining_working_days
    elif colour != "none" and application.due_at is not None:
        due_day = application.due_at.astimezone(WIB).date()
        left = clock.calendar.working_days_between(clock.today, due_day)
    return DeadlineRead(
        due_at=application.due_at,
        colour=colour,
        working_days_left=left,
        paused_since=application.paused_at,
        deemed_approved=application.deemed_approved,
        deemed_approved_at=application.deemed_approved_at,
    )


def survey_of(application: Application, permit: PermitType) -> SurveyRead | None:
    """The site survey, for types whose tier goes through that stage."""
    if "site_survey" not in permit.stages or permit.site_survey == "none":
        return None
    return SurveyRead(
        requested=application.survey_requested,
        required=permit.site_survey == "required",
        scheduled_for=application.survey_scheduled_for,
        findings=application.survey_findings,
        passed=application.survey_passed,
        done_at=application.survey_done_at,
    )


def levy_of(application: Application, permit: PermitType) -> LevyRead | None:
    """The levy, for types that have one (``status`` none until it is assessed)."""
    if permit.levy.basis == "none" and application.levy_status == "none":
        return None
    return LevyRead(
        amount=application.levy_amount,
        status=application.levy_status,  # type: ignore[arg-type]
        code=application.levy_code,
        due_at=application.levy_due_at,
        quantity=application.levy_quantity,
    )


def stages_of(application: Application, permit: PermitType) -> list[str]:
    """The tier's stages that apply: an optional survey only when asked for, a levy stage only
    for types with a levy (already in ``permit.stages``)."""
    return [
        s
        for s in permit.stages
        if s != "site_survey"
        or permit.site_survey == "required"
        or (permit.site_survey == "optional" and application.survey_requested)
    ]


async def _history(session: AsyncSession, application_id: str) -> list[HistoryRead]:
    query = (
        select(ApplicationHistory)
        .where(ApplicationHistory.application_id == application_id)
        .order_by(ApplicationHistory.sequence, ApplicationHistory.id)
    )
    return [
        HistoryRead(
            sequence=h.sequence,
            action=h.action,
            from_status=h.from_status,
            to_status=h.to_status,
            stage=h.stage,
            note=h.note,
            actor_role=h.actor_role,
            occurred_at=h.occurred_at,
        )
        for h in (await session.execute(query)).scalars()
    ]


async def _permit(session: AsyncSession, application_id: str) -> PermitSummary | None:
    query = select(Permit).where(Permit.application_id == application_id)
    permit = (await session.execute(query)).scalar_one_or_none()
    if permit is None:
        return None
    return PermitSummary(
        id=permit.id, number=permit.number, status=permit.status, valid_until=permit.valid_until
    )


async def application_read(
    session: AsyncSession,
    application: Application,
    *,
    clock: RequestClock,
    with_history: bool = True,
) -> ApplicationRead:
    """The API view of ``application`` (lists leave the history and attachments out)."""
    permit = CATALOGUE[application.permit_type]
    business = await session.get(Business, application.business_id)
    assert business is not None  # foreign key
    uploads = await uploads_of(session, application.id) if with_history else []
    officer = (
        OfficerRef(sub=application.assigned_officer_sub, name=application.assigned_officer_name)
        if application.assigned_officer_sub
        else None
    )
    return ApplicationRead(
        id=application.id,
        registration_number=application.registration_number,
        business=BusinessRef(id=business.id, nib=business.nib, name=business.name),
        permit_type=application.permit_type,
        permit_name=permit.name,
        tier=application.tier,
        status=application.status,
        stage=application.stage,
        stages=stages_of(application, permit),
        assigned_officer=officer,
        site_address=application.site_address,
        site_kelurahan_code=application.kelurahan_code,
        description=application.description,
        fields=dict(application.fields or {}),
        prerequisites=dict(application.prerequisites or {}),
        missing_items=application.missing_items,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        deadline=deadline_of(application, clock),
        survey=survey_of(application, permit),
        verification_findings=application.verification_findings,
        recommendation_note=application.recommendation_note,
        conditions=application.conditions,
        levy=levy_of(application, permit),
        permit=await _permit(session, application.id),
        attachments=[
            AttachmentRead(
                id=u.id,
                requirement=u.requirement,
                content_type=u.content_type,
                size_bytes=u.size_bytes,
                original_filename=u.original_filename,
            )
            for u in uploads
        ],
        history=await _history(session, application.id) if with_history else [],
    )
