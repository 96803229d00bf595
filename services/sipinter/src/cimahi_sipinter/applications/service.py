"""The applicant's side of an application (draft, submit, resubmit, withdraw) and its reads.

* A draft belongs to a business the caller owns; its permit type must be in the catalogue and
  its site in Kota Cimahi (default: the business's kelurahan, which decides the officers' area).
* Form values never keep a raw NIK: any 16-digit run in a value is stored masked
  (``3277********0001``) - the applicant's NIK is on their ownership record already, encrypted.
* Submission checks the mandatory documents and the prerequisite permits, takes the year's next
  registration number and starts the deadline (working days of the type); a low-tier
  registration is issued by the system at once.
* Every step goes through ``workflow.record`` (history, clock, lifecycle event) and publishes
  its domain event in the same transaction. Services never commit.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.calendar import RequestClock
from cimahi_shared.errors import InvalidInput, NotFound
from cimahi_shared.identifiers import mask_nik
from cimahi_shared.regions import find_kelurahan
from cimahi_sipinter.applications import repository, workflow
from cimahi_sipinter.applications.numbers import next_registration_number
from cimahi_sipinter.applications.repository import ListFilter
from cimahi_sipinter.applications.schemas import (
    ApplicationCreate,
    ApplicationPatch,
    DraftFields,
    ResubmitIn,
)
from cimahi_sipinter.applications.states import WITHDRAWABLE, status_entering
from cimahi_sipinter.applications.workflow import Actor
from cimahi_sipinter.auth import is_officer
from cimahi_sipinter.catalogue.schemas import PermitType
from cimahi_sipinter.catalogue.standards import permit_type
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_application_event
from cimahi_sipinter.models import Application, Business
from cimahi_sipinter.uploads import service as uploads

NOT_YOURS = "No such business."

SIPINTER_PREREQUISITES: dict[str, str] = {"pbg": "PBG", "slf": "SLF", "sipa": "SIPA_APOTEKER"}
"""Prerequisite requirement codes that name a permit SIPINTER issues: the number given must be
a permit of that type held by the business, in force."""

NIB_REQUIREMENT = "nib"
"""Satisfied by the business's own NIB: no number to give."""

_NIK_RUN = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _field_error(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message, "in": "body"}


# --- validating what the applicant sends ---


def masked_value(value: str | int | bool) -> str | int | bool:
    """A form value with any 16-digit run (a NIK, or a family-card number) masked."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return mask_nik(str(value)) if len(str(abs(value))) == 16 else value
    return _NIK_RUN.sub(lambda m: mask_nik(m.group(0)), value)


def masked_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The form values as they are stored (NIK-looking values masked)."""
    return {key: masked_value(value) for key, value in fields.items()}


def prerequisite_codes(permit: PermitType) -> list[str]:
    """The prerequisite permit requirement codes of a type, in the catalogue's order."""
    return [r.code for r in permit.requirements if r.kind == "prerequisite_permit"]


def check_prerequisite_keys(permit: PermitType, prerequisites: dict[str, str]) -> None:
    """422 naming ``prerequisites.<code>`` for a code that is not a prerequisite of the type."""
    allowed = set(prerequisite_codes(permit))
    errors = [
        _field_error(f"prerequisites.{code}", f"Not a prerequisite permit of {permit.code}.")
        for code in prerequisites
        if code not in allowed
    ]
    if errors:
        raise InvalidInput("Unknown prerequisite permits.", errors=errors)


def site_kelurahan(code: str | None, business: Business) -> str:
    """The site's kelurahan (the business's by default); 422 for a code outside Cimahi."""
    if code is None:
        return business.kelurahan_code
    if find_kelurahan(code) is None:
        message = "Not a kelurahan of Kota Cimahi."
        raise InvalidInput(message, errors=[_field_error("site_kelurahan_code", message)])
    return code


def catalogue_entry(code: str) -> PermitType:
    """The permit type of the catalogue; 422 naming ``permit_type`` otherwise."""
    permit = permit_type(code)
    if permit is None:
        message = "Not a permit type of the catalogue (GET /v1/public/permit-types)."
        raise InvalidInput(message, errors=[_field_error("permit_type", message)])
    return permit


async def owned_business(session: AsyncSession, principal: Principal, business_id: str) -> Business:
    """The business, if the caller owns it; 404 otherwise (as for an unknown one)."""
    business = await repository.business(session, business_id)
    if business is None or not await workflow.is_owner(session, principal, business_id):
        raise NotFound(NOT_YOURS)
    return business


async def apply_changes(
    session: AsyncSession,
    application: Application,
    data: DraftFields | ResubmitIn,
    *,
    principal: Principal,
    clock: RequestClock,
) -> None:
    """Apply the fields the applicant sent: form values replace, prerequisites and attachments
    are added by requirement code."""
    permit = workflow.permit_type_of(application)
    sent = data.model_fields_set
    if isinstance(data, DraftFields):
        if "site_kelurahan_code" in sent:
            business = await repository.business(session, application.business_id)
            assert business is not None  # foreign key
            application.kelurahan_code = site_kelurahan(data.site_kelurahan_code, business)
        if "site_address" in sent:
            application.site_address = data.site_address
        if "description" in sent:
            application.description = data.description
    if data.fields is not None:
        application.fields = masked_fields(data.fields)
    if data.prerequisites is not None:
        check_prerequisite_keys(permit, data.prerequisites)
        application.prerequisites = {**(application.prerequisites or {}), **data.prerequisites}
    application.updated_at = clock.now
    if data.attachments:
        await session.flush()  # the application row exists before uploads point at it
        await uploads.attach(
            session,
            owner_sub=principal.sub,
            application=application,
            attachments=data.attachments,
            now=clock.now,
        )


# --- drafts ---


async def create_draft(
    session: AsyncSession, *, principal: Principal, data: ApplicationCreate, clock: RequestClock
) -> Application:
    """A new draft of a business the caller owns."""
    business = await owned_business(session, principal, data.business_id)
    permit = catalogue_entry(data.permit_type)
    application = Application(
        id=str(ULID()),
        business_id=business.id,
        applicant_sub=principal.sub,
        kelurahan_code=site_kelurahan(data.site_kelurahan_code, business),
        site_address=data.site_address,
        description=data.description,
        permit_type=permit.code,
        tier=permit.tier,
        status="draft",
        stage=None,
        fields={},
        prerequisites={},
        paused_seconds=0,
        deemed_approved=False,
        survey_requested=False,
        levy_status="none",
        sequence=0,
        version=1,
        created_at=clock.now,
        updated_at=clock.now,
    )
    session.add(application)
    await apply_changes(session, application, data, principal=principal, clock=clock)
    await session.flush()
    return application


async def patch_draft(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: ApplicationPatch,
    clock: RequestClock,
) -> Application:
    """Change a draft (409 once submitted)."""
    application = await workflow.load_for_owner(session, principal, application_id, for_update=True)
    workflow.require_status(application, "draft", action="change")
    await apply_changes(session, application, data, principal=principal, clock=clock)
    application.version += 1
    await session.flush()
    return application


# --- submission ---


async def prerequisite_errors(
    session: AsyncSession, application: Application, permit: PermitType, today: date
) -> list[dict[str, str]]:
    """What is wrong with the prerequisite permits: missing numbers, permits not in force."""
    errors: list[dict[str, str]] = []
    given = application.prerequisites or {}
    for code in prerequisite_codes(permit):
        if code == NIB_REQUIREMENT:
            continue
        number = given.get(code)
        if not number:
            errors.append(_field_error(f"prerequisites.{code}", "The permit's number is needed."))
            continue
        issued_type = SIPINTER_PREREQUISITES.get(code)
        if issued_type is None:
            continue
        held = await repository.valid_permit(
            session,
            business_id=application.business_id,
            permit_type=issued_type,
            number=number,
            today=today,
        )
        if held is None:
            message = f"No {issued_type} permit {number} of this business is in force."
            errors.append(_field_error(f"prerequisites.{code}", message))
    return errors


async def check_complete(
    session: AsyncSession, application: Application, clock: RequestClock
) -> None:
    """422 naming every missing mandatory document and missing or invalid prerequisite."""
    permit = workflow.permit_type_of(application)
    attached = await uploads.uploads_of(session, application.id)
    errors = [
        _field_error(f"attachments.{code}", "This mandatory document is missing.")
        for code in uploads.missing_documents(permit, attached)
    ]
    errors += await prerequisite_errors(session, application, permit, clock.today)
    if errors:
        raise InvalidInput("The application is not complete.", errors=errors)


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    """Submit a complete draft: registration number, deadline, first stage (or the permit)."""
    application = await workflow.load_for_owner(session, principal, application_id, for_update=True)
    workflow.require_status(application, "draft", action="submit")
    await check_complete(session, application, clock)
    permit = workflow.permit_type_of(application)
    application.registration_number = await next_registration_number(session, clock.today.year)
    application.submitted_at = clock.now
    application.due_at = clock.due_at(permit.time_limit_working_days)
    first = permit.stages[0] if permit.stages else None
    actor = Actor.of(principal)
    await workflow.record(
        session,
        application,
        action="submit",
        to_status="submitted",
        actor=actor,
        note=None,
        clock=clock,
        stage=first,
    )
    await publish_application_event(
        session, "application.submitted", application, occurred_at=clock.now
    )
    if first is None:  # low tier: the registration is the permit
        await workflow.advance(
            session,
            application,
            action="issue",
            actor=workflow.SYSTEM,
            note=None,
            clock=clock,
            settings=settings,
        )
    await session.flush()
    return application


async def resubmit(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    data: ResubmitIn,
    clock: RequestClock,
) -> Application:
    """Send a returned application back to the stage it was returned from; the clock resumes."""
    application = await workflow.load_for_owner(session, principal, application_id, for_update=True)
    workflow.require_status(application, "returned", action="resubmit")
    await apply_changes(session, application, data, principal=principal, clock=clock)
    await check_complete(session, application, clock)
    stage = application.stage or "administrative_check"
    application.missing_items = None
    await workflow.record(
        session,
        application,
        action="resubmit",
        to_status=status_entering(stage, resubmitted=True),
        actor=Actor.of(principal),
        note=data.note,
        clock=clock,
    )
    await publish_application_event(
        session, "application.resubmitted", application, occurred_at=clock.now
    )
    await session.flush()
    return application


async def withdraw(
    session: AsyncSession,
    *,
    principal: Principal,
    application_id: str,
    note: str | None,
    clock: RequestClock,
) -> Application:
    """The applicant withdraws (drafts too; not once a permit is being signed or decided)."""
    application = await workflow.load_for_owner(session, principal, application_id, for_update=True)
    workflow.require_status(application, *sorted(WITHDRAWABLE), action="withdraw")
    submitted = application.registration_number is not None
    if submitted:
        application.decided_at = clock.now
    await workflow.record(
        session,
        application,
        action="withdraw",
        to_status="withdrawn",
        actor=Actor.of(principal),
        note=note,
        clock=clock,
    )
    if submitted:  # a draft was never announced: nothing to retract
        await publish_application_event(
            session, "application.withdrawn", application, occurred_at=clock.now
        )
    await session.flush()
    return application


# --- reads ---


async def get_application(
    session: AsyncSession, *, principal: Principal, application_id: str
) -> Application:
    """An application the caller may see: owners of its business; DPMPTSP officers of its area
    and admins (not drafts); 404 for everyone else, as for an unknown id."""
    if principal.is_citizen:
        return await workflow.load_for_owner(session, principal, application_id)
    return await workflow.load_for_officer(session, principal, application_id)


async def list_applications(
    session: AsyncSession, *, principal: Principal, flt: ListFilter
) -> tuple[list[Application], int | None]:
    """A page of the caller's applications (owners) or of the queue (officers, admins), and the
    offset of the next page (None: the last one)."""
    if principal.is_citizen:
        flt = replace(flt, owner_sub=principal.sub, area=None)
    elif is_officer(principal):
        flt = replace(flt, owner_sub=None, area=principal.area or "-")
    else:  # admin
        flt = replace(flt, owner_sub=None, area=None)
    rows = await repository.list_applications(session, flt)
    more = len(rows) > flt.limit
    return rows[: flt.limit], (flt.offset + flt.limit) if more else None
