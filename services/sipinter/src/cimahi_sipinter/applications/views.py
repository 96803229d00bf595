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

from collections.abc import Sequence
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
from cimahi_sipinter.models import Application, ApplicationHistory, Business, Permit, Upload
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


def _permit_summary(permit: Permit | None) -> PermitSummary | None:
    if permit is None:
        return None
    return PermitSummary(
        id=permit.id, number=permit.number, status=permit.status, valid_until=permit.valid_until
    )


async def _permits_of(session: AsyncSession, application_ids: list[str]) -> dict[str, Permit]:
    """The permits issued for some applications, by application id (one query)."""
    if not application_ids:
        return {}
    query = select(Permit).where(Permit.application_id.in_(application_ids))
    return {p.application_id: p for p in (await session.execute(query)).scalars()}


async def _businesses_of(
    session: AsyncSession, applications: Sequence[Application]
) -> dict[str, Business]:
    """The businesses of some applications, by id (one query)."""
    wanted = sorted({a.business_id for a in applications})
    if not wanted:
        return {}
    query = select(Business).where(Business.id.in_(wanted))
    return {b.id: b for b in (await session.execute(query)).scalars()}


def _attachment(upload: Upload) -> AttachmentRead:
    return AttachmentRead(
        id=upload.id,
        requirement=upload.requirement,
        content_type=upload.content_type,
        size_bytes=upload.size_bytes,
        original_filename=upload.original_filename,
    )


def _build(
    application: Application,
    *,
    business: Business,
    permit: Permit | None,
    clock: RequestClock,
    uploads: Sequence[Upload] = (),
    history: list[HistoryRead] | None = None,
) -> ApplicationRead:
    """The API view from what was loaded."""
    permit_type = CATALOGUE[application.permit_type]
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
        permit_name=permit_type.name,
        tier=application.tier,
        status=application.status,
        stage=application.stage,
        stages=stages_of(application, permit_type),
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
        survey=survey_of(application, permit_type),
        verification_findings=application.verification_findings,
        recommendation_note=application.recommendation_note,
        conditions=application.conditions,
        levy=levy_of(application, permit_type),
        permit=_permit_summary(permit),
        attachments=[_attachment(u) for u in uploads],
        history=history or [],
    )


async def application_read(
    session: AsyncSession,
    application: Application,
    *,
    clock: RequestClock,
    with_history: bool = True,
) -> ApplicationRead:
    """The API view of ``application``, with its attachments and history unless told not to."""
    business = await session.get(Business, application.business_id)
    assert business is not None  # foreign key
    permits = await _permits_of(session, [application.id])
    return _build(
        application,
        business=business,
        permit=permits.get(application.id),
        clock=clock,
        uploads=await uploads_of(session, application.id) if with_history else (),
        history=await _history(session, application.id) if with_history else None,
    )


async def applications_read(
    session: AsyncSession, applications: Sequence[Application], *, clock: RequestClock
) -> list[ApplicationRead]:
    """The API views of a page of applications, without history and attachments (two queries
    for the whole page: businesses and permits)."""
    businesses = await _businesses_of(session, applications)
    permits = await _permits_of(session, [a.id for a in applications])
    return [
        _build(a, business=businesses[a.business_id], permit=permits.get(a.id), clock=clock)
        for a in applications
    ]
