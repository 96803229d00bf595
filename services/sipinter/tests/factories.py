"""Test data put straight into the database: businesses and applications in any state.

For tests of one stage without walking the whole workflow through HTTP (the HTTP journeys are
tested too). The clock is pinned with :func:`pin_clock`: a test moves time by calling it again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI
from ulid import ULID

from cimahi_shared.calendar import WorkCalendar
from cimahi_shared.identifiers import mask_nik
from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.clock import CALENDAR_EXTRA, CLOCK_EXTRA
from cimahi_sipinter.models import Application, Business, BusinessOwner
from services.sipinter.tests.conftest import MELONG

# Monday 2026-03-02, 09:00 WIB: no holiday around, so working days are plain weekdays.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CALENDAR = WorkCalendar(holidays=frozenset({date(2026, 3, 19), date(2026, 3, 20)}))
"""Nyepi (19 March) and the joint leave day after it are holidays in the tests' calendar."""

ANI = "01JANI00000000000000000000"
BUDI = "01JBUDI0000000000000000000"
ANI_NIK = "3277015205900001"
BUDI_NIK = "3277030308850002"
VERIFIER = "01JVERIFIER000000000000000"


def pin_clock(app: FastAPI, when: datetime = NOW) -> None:
    """Make the service's "now" ``when`` and its calendar :data:`CALENDAR`."""
    app.state.runtime.extras[CLOCK_EXTRA] = lambda: when
    app.state.runtime.extras[CALENDAR_EXTRA] = CALENDAR


async def make_business(
    app: FastAPI,
    *,
    owner_sub: str = ANI,
    nik: str = ANI_NIK,
    kelurahan_code: str = MELONG,
    nib: str | None = None,
    name: str = "Klinik Pratama Sehat",
) -> Business:
    """A business owned by ``owner_sub``."""
    runtime = app.state.runtime
    business = Business(
        id=str(ULID()),
        nib=nib or str(9_000_000_000_000 + int(ULID()) % 999_999_999_999),
        name=name,
        legal_form="cv",
        address="Jl. Melong Raya No. 12",
        kelurahan_code=kelurahan_code,
        created_by=owner_sub,
        created_at=NOW,
        updated_at=NOW,
    )
    owner = BusinessOwner(
        id=str(ULID()),
        business_id=business.id,
        owner_sub=owner_sub,
        name="Ani Suryani",
        role="owner",
        applicant_nik_encrypted=runtime.pii.encrypt(nik),
        applicant_nik_hash=runtime.pii.lookup_hash(nik),
        applicant_nik_masked=mask_nik(nik),
        added_by=owner_sub,
        added_at=NOW,
    )
    async with runtime.session_factory() as session:
        session.add(business)
        await session.flush()
        session.add(owner)
        await session.commit()
    return business


async def make_application(
    app: FastAPI,
    business: Business,
    *,
    permit_type: str = "IZIN_KLINIK",
    status: str = "submitted",
    stage: str | None = "administrative_check",
    applicant_sub: str | None = None,
    submitted_at: datetime = NOW,
    working_days: int | None = None,
    **overrides: Any,
) -> Application:
    """An application of ``business`` in ``status``/``stage``, submitted at ``submitted_at``
    (deadline: the type's time limit, or ``working_days``), with a registration number."""
    permit = CATALOGUE[permit_type]
    due_at = CALENDAR.due_at(submitted_at, working_days or permit.time_limit_working_days)
    number = int(ULID()) % 1_000_000
    values: dict[str, Any] = {
        "id": str(ULID()),
        "registration_number": f"SPN-T{submitted_at:%Y}-{number:06d}",
        "business_id": business.id,
        "applicant_sub": applicant_sub or business.created_by,
        "kelurahan_code": business.kelurahan_code,
        "permit_type": permit.code,
        "tier": permit.tier,
        "status": status,
        "stage": stage,
        "fields": {},
        "prerequisites": {},
        "submitted_at": submitted_at if status != "draft" else None,
        "due_at": due_at if status != "draft" else None,
        "paused_seconds": 0,
        "deemed_approved": False,
        "levy_status": "none",
        "sequence": 1 if status != "draft" else 0,
        "version": 1,
        "created_at": submitted_at,
        "updated_at": submitted_at,
    }
    values.update(overrides)
    application = Application(**values)
    async with app.state.runtime.session_factory() as session:
        session.add(application)
        await session.commit()
    return application
