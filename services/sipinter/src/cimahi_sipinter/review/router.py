"""HTTP surface of the officers' stages: every step answers with the application as it now is.

Only DPMPTSP officers reach these endpoints (citizens, admins and other agencies' officers get
403); an application outside the officer's area, or a draft, is 404 as an unknown id. The rules
of each step are in :mod:`cimahi_sipinter.review.service`. The answer shows the applicant's
data, so every step is also an access-log entry (purpose from ``X-Purpose``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from cimahi_shared.app import RuntimeDep, SessionDep
from cimahi_shared.auth import Principal
from cimahi_shared.calendar import RequestClock
from cimahi_sipinter.access_log import DEFAULT_PURPOSE, PurposeHeader, log_reads
from cimahi_sipinter.applications.schemas import ApplicationRead
from cimahi_sipinter.applications.views import application_read
from cimahi_sipinter.auth import Officer
from cimahi_sipinter.clock import ClockDep
from cimahi_sipinter.config import settings_of
from cimahi_sipinter.models import Application
from cimahi_sipinter.review import service
from cimahi_sipinter.review.schemas import (
    AdministrativeCheckIn,
    AssignIn,
    RecommendationIn,
    RejectIn,
    SignIn,
    SurveyReportIn,
    SurveyScheduleIn,
    TechnicalVerificationIn,
)

router = APIRouter(tags=["review"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {**_PROBLEM, "description": "Not DPMPTSP's officer, or not the one this step needs"},
    404: {**_PROBLEM, "description": "Unknown, a draft, or outside your area"},
    409: {**_PROBLEM, "description": "The application is not in this step's status"},
    422: {**_PROBLEM, "description": "Invalid input (the field is named)"},
}
PATH = "/v1/applications/{application_id}"


async def answer(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    *,
    clock: RequestClock,
    purpose: str,
) -> ApplicationRead:
    """The application after the step, its read by the officer logged (action ``review``)."""
    log_reads(
        session,
        principal,
        resource="application",
        refs=[(application.business_id, application.registration_number or application.id)],
        action="review",
        purpose=purpose,
        now=clock.now,
    )
    return await application_read(session, application, clock=clock)


@router.post(f"{PATH}/administrative-check", response_model=ApplicationRead, responses=RESPONSES)
async def administrative_check(
    application_id: str,
    body: AdministrativeCheckIn,
    principal: Officer,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """Accept the file (next stage; medium-low tier: issued), return it (note and missing
    requirement codes; the deadline pauses) or reject it. Any DPMPTSP officer of the area."""
    application = await service.administrative_check(
        session,
        principal=principal,
        application_id=application_id,
        data=body,
        clock=clock,
        settings=settings_of(runtime),
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.post(f"{PATH}/assign", response_model=ApplicationRead, responses=RESPONSES)
async def assign(
    application_id: str,
    body: AssignIn,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The head of DPMPTSP assigns the technical stages to an officer (or reassigns them)."""
    application = await service.assign(
        session, principal=principal, application_id=application_id, data=body, clock=clock
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.post(f"{PATH}/technical-verification", response_model=ApplicationRead, responses=RESPONSES)
async def technical_verification(
    application_id: str,
    body: TechnicalVerificationIn,
    principal: Officer,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The assigned officer verifies (site survey next when required or requested), returns
    or rejects."""
    application = await service.technical_verification(
        session,
        principal=principal,
        application_id=application_id,
        data=body,
        clock=clock,
        settings=settings_of(runtime),
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.put(f"{PATH}/site-survey", response_model=ApplicationRead, responses=RESPONSES)
async def schedule_survey(
    application_id: str,
    body: SurveyScheduleIn,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The assigned officer sets the survey day (a working day, today or later)."""
    application = await service.schedule_survey(
        session, principal=principal, application_id=application_id, data=body, clock=clock
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.post(f"{PATH}/site-survey/report", response_model=ApplicationRead, responses=RESPONSES)
async def report_survey(
    application_id: str,
    body: SurveyReportIn,
    principal: Officer,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The assigned officer reports the survey (not before its day): passed, return, reject."""
    application = await service.report_survey(
        session,
        principal=principal,
        application_id=application_id,
        data=body,
        clock=clock,
        settings=settings_of(runtime),
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.post(f"{PATH}/recommendation", response_model=ApplicationRead, responses=RESPONSES)
async def recommend(
    application_id: str,
    body: RecommendationIn,
    principal: Officer,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The assigned officer recommends (the levy is assessed: payment or signature next)
    or rejects."""
    application = await service.recommend(
        session,
        principal=principal,
        application_id=application_id,
        data=body,
        clock=clock,
        settings=settings_of(runtime),
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.post(f"{PATH}/sign", response_model=ApplicationRead, responses=RESPONSES)
async def sign(
    application_id: str,
    principal: Officer,
    session: SessionDep,
    runtime: RuntimeDep,
    clock: ClockDep,
    body: SignIn | None = None,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The head of DPMPTSP signs: the permit is issued."""
    application = await service.sign(
        session,
        principal=principal,
        application_id=application_id,
        note=body.note if body else None,
        clock=clock,
        settings=settings_of(runtime),
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)


@router.post(f"{PATH}/reject", response_model=ApplicationRead, responses=RESPONSES)
async def reject(
    application_id: str,
    body: RejectIn,
    principal: Officer,
    session: SessionDep,
    clock: ClockDep,
    purpose: PurposeHeader = DEFAULT_PURPOSE,
) -> ApplicationRead:
    """The head of DPMPTSP rejects an open application at any stage (the reason is required)."""
    application = await service.head_reject(
        session, principal=principal, application_id=application_id, note=body.note, clock=clock
    )
    return await answer(session, principal, application, clock=clock, purpose=purpose)
