"""Demo data of SIPINTER (``python -m cimahi_sipinter seed``; development only, idempotent).

What the README's walkthrough and the end-to-end licensing journey start from:

* Ani Lestari's clinic, *Klinik Pratama Ani Sehat* in Melong, with a valid building approval
  (PBG) and certificate of fitness for use (SLF) of SIPINTER, so she can apply for the clinic's
  operating permit (IZIN_KLINIK needs both) from the portal at once;
* Budi Santoso's pharmacy in Cibabat with a few applications in different states, so the
  DPMPTSP officers' queue is not empty: one waiting for the front office's check, one returned
  to Budi for a missing document, one waiting for the head to assign a verifier and one waiting
  for the head's signature.

The owners are the gateway's demo citizens by their fixed account subjects (the gateway's
``DEMO_CITIZEN_SUBS``, repeated here: a service never imports the gateway). On a platform whose
demo accounts were created before their subjects were fixed, the businesses are there but
belong to nobody who can log in: start from a fresh ``var/``.

Seeded applications walk the same workflow core as real ones (:mod:`..applications.workflow`):
history, lifecycle events (Ani and Budi see them in the unified request list) and permits with
their numbers and verification codes. They skip what needs a person at a screen: they carry no
uploaded documents and no levy payment, and their officers are named by the demo logins
(``seed:<login>``), not by account subjects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from ulid import ULID

from cimahi_shared.auth import Principal
from cimahi_shared.calendar import RequestClock
from cimahi_shared.calendar.workdays import default_calendar
from cimahi_shared.db import create_engine, create_session_factory, utcnow
from cimahi_shared.pii import PiiCipher
from cimahi_sipinter.applications import workflow
from cimahi_sipinter.applications.numbers import next_registration_number
from cimahi_sipinter.applications.workflow import Actor
from cimahi_sipinter.businesses import repository as businesses
from cimahi_sipinter.businesses.schemas import BusinessCreate
from cimahi_sipinter.businesses.service import register_business
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.events.applications import publish_application_event
from cimahi_sipinter.models import Application, Business, Permit

# The gateway's demo citizens (cimahi_gateway.identity.service.DEMO_CITIZEN_SUBS).
ANI_SUB = "01JDEM0000000000000000ANA1"
BUDI_SUB = "01JDEM0000000000000000BVD1"
ANI_NIK = "3277015205900001"
BUDI_NIK = "3277030308850002"
MELONG = "32.77.01.1001"
CIBABAT = "32.77.03.1002"

CLINIC_NIB = "9120260000011"
PHARMACY_NIB = "9120260000028"

FRONT_OFFICE = Actor("seed:petugas.dpmptsp", "officer", "Petugas Front Office DPMPTSP")
VERIFIER = Actor("seed:verifikator.dpmptsp", "officer", "Verifikator DPMPTSP")
HEAD = Actor("seed:kepala.dpmptsp", "officer", "Kepala DPMPTSP")

# The step each stage's officer records when the stage is done, and who records it.
_STAGE_STEP: dict[str, tuple[str, Actor]] = {
    "administrative_check": ("accept", FRONT_OFFICE),
    "technical_verification": ("verify", VERIFIER),
    "site_survey": ("survey_report", VERIFIER),
    "recommendation": ("recommend", VERIFIER),
    "levy_payment": ("levy_paid", FRONT_OFFICE),
    "signature": ("sign", HEAD),
}


@dataclass(frozen=True)
class DemoApplication:
    """An application to seed: its type, what it says, and where its walk stops."""

    permit_type: str
    description: str
    fields: dict[str, str | int | bool]
    prerequisites: dict[str, str]
    stop: str  # a status: submitted | returned | in_verification | awaiting_signature | issued
    returned_missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoBusiness:
    """A business of a demo citizen, with the applications to seed for it."""

    owner_sub: str
    owner_name: str
    owner_nik: str
    nib: str
    name: str
    legal_form: str
    address: str
    kelurahan_code: str
    applications: tuple[DemoApplication, ...]


DEMO_BUSINESSES: tuple[DemoBusiness, ...] = (
    DemoBusiness(
        owner_sub=ANI_SUB,
        owner_name="Ani Lestari",
        owner_nik=ANI_NIK,
        nib=CLINIC_NIB,
        name="Klinik Pratama Ani Sehat",
        legal_form="cv",
        address="Jl. Melong Raya No. 12, Melong, Cimahi Selatan",
        kelurahan_code=MELONG,
        applications=(
            DemoApplication(
                "PBG",
                "Two-storey clinic building, 240 m2",
                {"building_function": "health", "floors": 2, "floor_area_m2": 240},
                {"kkpr": "KKPR-3277-2025-00731", "environmental_approval": "SPPL-3277-2025-0412"},
                stop="issued",
            ),
            DemoApplication(
                "SLF",
                "Fitness for use of the clinic building",
                {"building_function": "health", "assessor": "CV Konsultan Laik Fungsi"},
                {},  # its PBG is filled in from the permit issued just before
                stop="issued",
            ),
        ),
    ),
    DemoBusiness(
        owner_sub=BUDI_SUB,
        owner_name="Budi Santoso",
        owner_nik=BUDI_NIK,
        nib=PHARMACY_NIB,
        name="Apotek Budi Farma",
        legal_form="cv",
        address="Jl. Amir Machmud No. 88, Cibabat, Cimahi Utara",
        kelurahan_code=CIBABAT,
        applications=(
            DemoApplication(
                "IZIN_APOTEK",
                "Pharmacy with a consultation room",
                {"responsible_pharmacist": "apt. Dewi Kartika", "opening_hours": "07:00-21:00"},
                {"kkpr": "KKPR-3277-2025-00815", "sipa": "SIPA-3277-2025-0099"},
                stop="submitted",
            ),
            DemoApplication(
                "REKLAME",
                "Shop sign on the front wall, 2 x 1 m",
                {"display_area_m2": 2, "illuminated": True},
                {},
                stop="returned",
                returned_missing=("land_owner_consent",),
            ),
            DemoApplication(
                "SIPA_APOTEKER",
                "Practice permit of the pharmacy's responsible pharmacist",
                {"practice_place": "Apotek Budi Farma"},
                {},
                stop="in_verification",
            ),
            DemoApplication(
                "SIP_DOKTER",
                "Practice permit of the doctor of the consultation room",
                {"practice_place": "Apotek Budi Farma"},
                {},
                stop="awaiting_signature",
            ),
        ),
    ),
)


def seed_clock() -> RequestClock:
    """Now, on the city's working-day calendar."""
    return RequestClock(utcnow(), default_calendar())


async def _submit(
    session: AsyncSession, application: Application, owner: Actor, clock: RequestClock
) -> None:
    """The applicant's submission: registration number, deadline, first stage."""
    permit = workflow.permit_type_of(application)
    application.registration_number = await next_registration_number(session, clock.today.year)
    application.submitted_at = clock.now
    application.due_at = clock.due_at(permit.time_limit_working_days)
    await workflow.record(
        session,
        application,
        action="submit",
        to_status="submitted",
        actor=owner,
        note=None,
        clock=clock,
        stage=permit.stages[0] if permit.stages else None,
    )
    await publish_application_event(
        session, "application.submitted", application, occurred_at=clock.now
    )


def _fill_stage(application: Application, clock: RequestClock) -> None:
    """What the officer of the current stage writes down before moving on."""
    if application.stage == "technical_verification":
        application.verification_findings = "Documents consistent with the building on site."
    elif application.stage == "site_survey":
        application.survey_scheduled_for = clock.today - timedelta(days=1)
        application.survey_findings = "Site visited; matches the drawings."
        application.survey_passed = True
        application.survey_done_at = clock.now
    elif application.stage == "recommendation":
        application.recommendation_note = "Meets the standard."
        application.conditions = ["Keep the permit displayed at the entrance."]


async def _walk(
    session: AsyncSession,
    application: Application,
    demo: DemoApplication,
    *,
    clock: RequestClock,
    settings: SipinterSettings,
) -> None:
    """Take a submitted application through its stages until it reaches ``demo.stop``."""
    while application.status != demo.stop:
        if demo.stop == "returned":
            application.missing_items = list(demo.returned_missing)
            await workflow.record(
                session,
                application,
                action="return",
                to_status="returned",
                actor=FRONT_OFFICE,
                note="Please upload the consent of the building's owner.",
                clock=clock,
            )
            return
        action, actor = _STAGE_STEP[application.stage or ""]
        _fill_stage(application, clock)
        await workflow.advance(
            session,
            application,
            action=action,
            actor=actor,
            note=None,
            clock=clock,
            settings=settings,
        )


async def _seed_application(
    session: AsyncSession,
    business: Business,
    owner: Actor,
    demo: DemoApplication,
    *,
    prerequisites: dict[str, str],
    clock: RequestClock,
    settings: SipinterSettings,
) -> Application:
    permit = CATALOGUE[demo.permit_type]
    application = Application(
        id=str(ULID()),
        business_id=business.id,
        applicant_sub=owner.sub,
        kelurahan_code=business.kelurahan_code,
        site_address=business.address,
        description=demo.description,
        permit_type=permit.code,
        tier=permit.tier,
        status="draft",
        stage=None,
        fields=dict(demo.fields),
        prerequisites={"nib": business.nib, **demo.prerequisites, **prerequisites},
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
    await session.flush()
    await _submit(session, application, owner, clock)
    await _walk(session, application, demo, clock=clock, settings=settings)
    await session.flush()
    return application


async def _permit_number(session: AsyncSession, application: Application) -> str | None:
    query = select(Permit.number).where(Permit.application_id == application.id)
    return (await session.execute(query)).scalar_one_or_none()


async def seed_business(
    session: AsyncSession,
    demo: DemoBusiness,
    *,
    pii: PiiCipher,
    clock: RequestClock,
    settings: SipinterSettings,
) -> bool:
    """Register one demo business and seed its applications; False when it already exists."""
    if await businesses.by_nib(session, demo.nib) is not None:
        return False
    owner = Principal(sub=demo.owner_sub, role="citizen", name=demo.owner_name)
    data = BusinessCreate.model_validate(
        {
            "nib": demo.nib,
            "name": demo.name,
            "legal_form": demo.legal_form,
            "address": demo.address,
            "kelurahan_code": demo.kelurahan_code,
            "applicant": {"name": demo.owner_name, "nik": demo.owner_nik},
        }
    )
    view = await register_business(session, principal=owner, data=data, pii=pii, now=clock.now)
    held: dict[str, str] = {}  # requirement code -> number of a permit seeded just before
    for app in demo.applications:
        application = await _seed_application(
            session,
            view.business,
            Actor.of(owner),
            app,
            prerequisites=held,
            clock=clock,
            settings=settings,
        )
        number = await _permit_number(session, application)
        if number is not None:
            held[app.permit_type.lower()] = number
    return True


async def seed_demo(settings: SipinterSettings) -> list[str]:
    """Seed every demo business not there yet (one transaction); what was done, as lines."""
    engine = create_engine(settings.database_url, pool_size=1)
    pii = PiiCipher(settings.pii_key.get_secret_value())
    clock = seed_clock()
    lines: list[str] = []
    try:
        async with create_session_factory(engine)() as session, session.begin():
            for demo in DEMO_BUSINESSES:
                created = await seed_business(
                    session, demo, pii=pii, clock=clock, settings=settings
                )
                verb = "seeded" if created else "already there"
                lines.append(f"sipinter: demo business {demo.name} ({demo.nib}) {verb}")
    finally:
        await engine.dispose()
    return lines
