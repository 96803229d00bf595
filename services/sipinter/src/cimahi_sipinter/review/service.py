"""The officers' stages of an application: check, assign, verify, survey, recommend, sign, reject.

Every step follows one pattern, so that the rules are the same everywhere:

1. load the application row-locked, 404 unless it is in the officer's area (and not a draft);
2. 409 unless it is in the status the step belongs to;
3. the actor rule: any DPMPTSP officer of the area for the administrative check, the head for
   assigning, signing and rejecting, the assigned officer for the technical stages (the
   assignment, not the position, decides who verifies: the head may assign himself);
4. 422 naming the field for bad input (a return or rejection must say why; missing items are
   requirement codes of the type; a survey day is a working day, today or later);
5. move it with ``workflow.record`` / ``workflow.advance`` (history row, deadline clock,
   lifecycle event) and publish the domain event, all in the request's transaction.

A return keeps the stage (the applicant's resubmission comes back to it) and pauses the
deadline clock; the ``application.returned`` event names requirement codes only, never the
officer's free text. Services never commit: the request's session commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.auth import Principal
from cimahi_shared.calendar import RequestClock
from cimahi_shared.errors import Conflict, InvalidInput
from cimahi_sipinter.applications import workflow
from cimahi_sipinter.applications.states import OPEN
from cimahi_sipinter.applications.workflow import Actor
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_application_event
from cimahi_sipinter.levy import assessment
from cimahi_sipinter.models import Application
from cimahi_sipinter.review.schemas import (
    AdministrativeCheckIn,
    AssignIn,
    RecommendationIn,
    SurveyReportIn,
    SurveyScheduleIn,
    TechnicalVerificationIn,
)

ADMINISTRATIVE_CHECK = ("submitted", "resubmitted")
TECHNICAL = ("in_verification", "site_survey", "awaiting_recommendation")
"""Statuses of the technical stages, which the assigned officer works (and the head assigns)."""


def field_error(field: str, message: str) -> dict[str, str]:
    """One entry of a 422's ``errors``."""
    return {"field": field, "message": message, "in": "body"}


def invalid(field: str, message: str) -> InvalidInput:
    """A 422 naming one field."""
    return InvalidInput(message, errors=[field_error(field, message)])


async def _load(session: AsyncSession, principal: Principal, application_id: str) -> Application:
    """The application row-locked, if it is in the officer's area (404 otherwise)."""
    return await workflow.load_for_officer(session, principal, application_id, for_update=True)


# --- returning and rejecting (shared by every stage that may do it) ---


def _reasons(
    application: Application, note: str | None, missing_items: Sequence[str]
) -> tuple[str, list[str]]:
    """The note (required) and the missing items (requirement codes of the type), or a 422."""
    codes = {r.code for r in workflow.permit_type_of(application).requirements}
    errors = [
        field_error(f"missing_items[{i}]", "Not a requirement code of this permit type.")
        for i, code in enumerate(missing_items)
        if code not in codes
    ]
    text = (note or "").strip()
    if not text:
        errors.insert(0, field_error("note", "Say what is wrong or missing."))
    if errors:
        raise InvalidInput("The reasons are incomplete.", errors=errors)
    return text, list(dict.fromkeys(missing_items))


async def return_to_applicant(
    session: AsyncSession,
    application: Application,
    *,
    actor: Actor,
    note: str | None,
    missing_items: Sequence[str],
    clock: RequestClock,
) -> None:
    """Return the file for completion: the stage is kept and the deadline clock pauses."""
    text, codes = _reasons(application, note, missing_items)
    application.missing_items = codes
    await workflow.record(
        session,
        application,
        action="return",
        to_status="returned",
        actor=actor,
        note=text,
        clock=clock,
    )
    await publish_application_event(
        session, "application.returned", application, occurred_at=clock.now, missing_items=codes
    )


async def reject(
    session: AsyncSession,
    application: Application,
    *,
    actor: Actor,
    note: str | None,
    missing_items: Sequence[str] = (),
    clock: RequestClock,
) -> None:
    """Refuse the application (final): the reason is the decision note."""
    text, codes = _reasons(application, note, missing_items)
    if codes:
        application.missing_items = codes
    application.decided_at = clock.now
    application.decision_note = text
    await workflow.record(
        session,
        application,
        action="reject",
        to_status="rejected",
        actor=actor,
        note=text,
        clock=clock,
    )
    await publish_application_event(
        session, "application.rejected", application, occurred_at=clock.now
    )


async def _return_or_reject(
    session: AsyncSession,
    application: Application,
    *,
    outcome: str,
    actor: Actor,
    note: str | None,
    missing_items: Sequence[str],
    clock: RequestClock,
) -> None:
    """The two outcomes every stage before the recommendation offers besides going on."""
    step = return_to_applicant if outcome == "return" else reject
    await step(
        session, application, actor=actor, note=note, missing_items=missing_items, clock=clock
    )


# --- the stages ---


async def administrative_check(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: AdministrativeCheckIn,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    """Any DPMPTSP officer of the area checks the file is complete (medium-low: issued)."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, *ADMINISTRATIVE_CHECK, action="check")
    actor = Actor.of(principal)
    if data.outcome != "accept":
        await _return_or_reject(
            session,
            application,
            outcome=data.outcome,
            actor=actor,
            note=data.note,
            missing_items=data.missing_items,
            clock=clock,
        )
        return application
    application.missing_items = None
    await workflow.advance(
        session,
        application,
        action="accept",
        actor=actor,
        note=data.note,
        clock=clock,
        settings=settings,
    )
    return application


async def assign(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: AssignIn,
    clock: RequestClock,
) -> Application:
    """The head gives the technical stages to an officer (or to another one)."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, *TECHNICAL, action="assign an officer to")
    workflow.require_head(principal)
    application.assigned_officer_sub = data.officer_sub
    application.assigned_officer_name = data.officer_name
    await workflow.record(
        session,
        application,
        action="assign",
        to_status=application.status,
        actor=Actor.of(principal),
        note=f"Assigned to {data.officer_name}.",
        clock=clock,
    )
    return application


def _check_survey_request(application: Application, requested: bool) -> None:
    """A survey can be asked for only where the type has one."""
    permit = workflow.permit_type_of(application)
    if requested and (permit.site_survey == "none" or "site_survey" not in permit.stages):
        raise invalid("survey_requested", "This permit type has no site survey.")


async def technical_verification(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: TechnicalVerificationIn,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    """The assigned officer verifies (a survey follows where required or asked for)."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, "in_verification", action="verify")
    workflow.require_assigned(principal, application)
    _check_survey_request(application, data.survey_requested)
    actor = Actor.of(principal)
    if data.findings is not None:
        application.verification_findings = data.findings
    if data.outcome != "verified":
        await _return_or_reject(
            session,
            application,
            outcome=data.outcome,
            actor=actor,
            note=data.note,
            missing_items=data.missing_items,
            clock=clock,
        )
        return application
    application.survey_requested = data.survey_requested
    application.missing_items = None
    await workflow.advance(
        session,
        application,
        action="verify",
        actor=actor,
        note=data.note,
        clock=clock,
        settings=settings,
    )
    await publish_application_event(
        session, "application.verified", application, occurred_at=clock.now
    )
    return application


def _check_survey_day(day: date, clock: RequestClock) -> None:
    """A survey is held on a working day, today or later."""
    if day < clock.today:
        raise invalid("scheduled_for", "The survey day cannot be in the past.")
    if not clock.calendar.is_working_day(day):
        raise invalid("scheduled_for", "The survey day must be a working day.")


async def schedule_survey(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: SurveyScheduleIn,
    clock: RequestClock,
) -> Application:
    """The assigned officer sets (or moves) the day of the site survey; the applicant sees it."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, "site_survey", action="schedule a survey of")
    workflow.require_assigned(principal, application)
    _check_survey_day(data.scheduled_for, clock)
    application.survey_scheduled_for = data.scheduled_for
    await workflow.record(
        session,
        application,
        action="schedule_survey",
        to_status=application.status,
        actor=Actor.of(principal),
        note=f"Site survey on {data.scheduled_for.isoformat()}.",
        clock=clock,
    )
    return application


async def report_survey(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: SurveyReportIn,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    """The assigned officer reports the survey (not before its day): passed, return or reject."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, "site_survey", action="report a survey of")
    workflow.require_assigned(principal, application)
    scheduled = application.survey_scheduled_for
    if scheduled is None:
        raise Conflict("Schedule the site survey first.")
    if clock.today < scheduled:
        raise Conflict(f"The site survey is scheduled for {scheduled.isoformat()}.")
    actor = Actor.of(principal)
    if data.findings is not None:
        application.survey_findings = data.findings
    if data.outcome != "passed":
        if data.outcome == "reject":
            application.survey_passed = False
            application.survey_done_at = clock.now
        await _return_or_reject(
            session,
            application,
            outcome=data.outcome,
            actor=actor,
            note=data.note,
            missing_items=data.missing_items,
            clock=clock,
        )
        return application
    application.survey_passed = True
    application.survey_done_at = clock.now
    application.missing_items = None
    await workflow.advance(
        session,
        application,
        action="survey_passed",
        actor=actor,
        note=data.note,
        clock=clock,
        settings=settings,
    )
    return application


async def recommend(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: RecommendationIn,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    """The assigned officer recommends (levy assessed: payment or signature next) or rejects."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, "awaiting_recommendation", action="recommend")
    workflow.require_assigned(principal, application)
    actor = Actor.of(principal)
    if data.outcome == "reject":
        await reject(session, application, actor=actor, note=data.note, clock=clock)
        return application
    application.recommendation_note = data.note
    application.conditions = list(data.conditions)
    if workflow.permit_type_of(application).levy.basis == "none":
        application.levy_status = "none"
    else:
        await assessment.assess(
            session, application, quantity=data.levy, clock=clock, settings=settings
        )
    await workflow.advance(
        session,
        application,
        action="recommend",
        actor=actor,
        note=data.note,
        clock=clock,
        settings=settings,
    )
    return application


async def sign(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    note: str | None,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    """The head signs: the permit is issued."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, "awaiting_signature", action="sign")
    workflow.require_head(principal)
    await workflow.advance(
        session,
        application,
        action="sign",
        actor=Actor.of(principal),
        note=note,
        clock=clock,
        settings=settings,
    )
    return application


async def head_reject(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    note: str | None,
    clock: RequestClock,
) -> Application:
    """The head refuses an open application at any stage (the reason is required)."""
    application = await _load(session, principal, application_id)
    workflow.require_status(application, *sorted(OPEN), action="reject")
    workflow.require_head(principal)
    await reject(session, application, actor=Actor.of(principal), note=note, clock=clock)
    return application
