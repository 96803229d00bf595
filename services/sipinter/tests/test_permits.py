"""Permit issuance: gapless numbers (also under concurrency), validity, signer, the event."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_shared.documents.codes import normalise
from cimahi_sipinter.applications.workflow import Actor
from cimahi_sipinter.models import Permit, PermitCounter
from cimahi_sipinter.permits.issuance import SYSTEM_SIGNATURE, issue_permit, valid_until
from cimahi_sipinter.permits.numbers import format_number
from services.sipinter.tests.conftest import MELONG
from services.sipinter.tests.factories import NOW, make_application, make_business
from services.sipinter.tests.test_permits_helpers import (
    HEAD,
    HEAD_SUB,
    clock_at,
    events,
    issue_for,
    issued,
)

CONCURRENT_ISSUANCES = 12


def serial(number: str) -> int:
    return int(number.split("/")[1])


class TestValidity:
    @pytest.mark.parametrize(
        ("valid_from", "years", "expected"),
        [
            (date(2026, 3, 2), 5, date(2031, 3, 1)),
            (date(2026, 1, 1), 1, date(2026, 12, 31)),
            (date(2027, 3, 1), 1, date(2028, 2, 29)),  # the day before lands on a leap day
            (date(2028, 2, 29), 5, date(2033, 2, 28)),  # into a common year: 28 February
            (date(2028, 2, 29), 4, date(2032, 2, 28)),  # into a leap year: the day before
            (date(2026, 3, 2), None, None),
        ],
    )
    def test_years_later_less_one_day(
        self, valid_from: date, years: int | None, expected: date | None
    ) -> None:
        assert valid_until(valid_from, years) == expected


class TestIssuePermit:
    async def test_number_validity_holder_signer_and_event(self, app: FastAPI) -> None:
        business = await make_business(app, name="Klinik Pratama Sehat")
        application = await make_application(
            app,
            business,
            status="awaiting_signature",
            stage="signature",
            conditions=["Papan nama dipasang", "Limbah medis diserahkan ke pihak berizin"],
        )

        permit = await issue_for(app, application)

        assert permit.number == "503/00001/IZIN_KLINIK/DPMPTSP/2026"
        assert permit.valid_from == date(2026, 3, 2)
        assert permit.valid_until == date(2031, 3, 1)
        assert permit.holder_name == "Klinik Pratama Sehat"
        assert permit.kelurahan_code == MELONG
        assert permit.conditions == [
            "Papan nama dipasang",
            "Limbah medis diserahkan ke pihak berizin",
        ]
        assert permit.status == "valid"
        assert permit.deemed_approval is False
        assert (permit.signed_by, permit.signed_by_sub) == (HEAD.name, HEAD_SUB)
        assert normalise(permit.verification_code) == permit.verification_code
        [event] = await events(app, "permit.issued")
        assert event["subject"] == permit.id
        data = event["data"]
        assert data["permit_id"] == permit.id
        assert data["permit_number"] == permit.number
        assert data["permit_type"] == "IZIN_KLINIK"
        assert data["application_id"] == application.id
        assert data["registration_number"] == application.registration_number
        assert data["business_id"] == business.id
        assert data["nib"] == business.nib
        assert data["kelurahan_code"] == MELONG
        assert (data["valid_from"], data["valid_until"]) == ("2026-03-02", "2031-03-01")
        assert data["verification_url"] == (
            f"http://127.0.0.1:8000/api/sipinter/v1/public/permits/{permit.verification_code}"
        )
        assert "Ani Suryani" not in str(event)

    async def test_low_tier_is_issued_by_the_system_without_end(self, app: FastAPI) -> None:
        permit = await issued(app, permit_type="UMK_RENDAH", stage=None, signer=None)

        assert permit.number.endswith("/UMK_RENDAH/DPMPTSP/2026")
        assert permit.valid_until is None
        assert (permit.signed_by, permit.signed_by_sub) == (SYSTEM_SIGNATURE, None)
        assert permit.conditions == []

    async def test_a_tier_without_signature_is_the_systems_even_when_an_officer_accepted(
        self, app: FastAPI
    ) -> None:
        officer = Actor("01JVERIFIER000000000000000", "officer", "Dedi Kurniawan")
        permit = await issued(app, permit_type="TDUP", signer=officer)

        assert (permit.signed_by, permit.signed_by_sub) == (SYSTEM_SIGNATURE, None)

    async def test_a_deemed_approval_is_marked_on_the_permit(self, app: FastAPI) -> None:
        permit = await issued(app, deemed_approved=True)

        assert permit.deemed_approval is True
        [event] = await events(app, "permit.issued")
        assert event["data"]["deemed_approval"] is True

    async def test_valid_from_is_the_day_in_cimahi(self, app: FastAPI) -> None:
        # 31 December 2026, 18:00 UTC is 1 January 2027, 01:00 WIB: the next year's series.
        permit = await issued(app, when=datetime(2026, 12, 31, 18, 0, tzinfo=UTC))

        assert permit.valid_from == date(2027, 1, 1)
        assert permit.valid_until == date(2031, 12, 31)
        assert permit.number == "503/00001/IZIN_KLINIK/DPMPTSP/2027"


class TestNumbers:
    def test_format(self) -> None:
        assert format_number(42, permit_type="PBG", year=2026) == "503/00042/PBG/DPMPTSP/2026"

    async def test_one_gapless_series_per_year_across_types(self, app: FastAPI) -> None:
        business = await make_business(app)
        first = await issued(app, business)
        second = await issued(app, business, permit_type="SLF")
        third = await issued(app, business, permit_type="REKLAME")
        next_year = await issued(app, business, when=datetime(2027, 1, 4, 2, 0, tzinfo=UTC))

        assert [first.number, second.number, third.number] == [
            "503/00001/IZIN_KLINIK/DPMPTSP/2026",
            "503/00002/SLF/DPMPTSP/2026",
            "503/00003/REKLAME/DPMPTSP/2026",
        ]
        assert next_year.number == "503/00001/IZIN_KLINIK/DPMPTSP/2027"

    async def test_concurrent_issuances_take_consecutive_numbers(self, app: FastAPI) -> None:
        business = await make_business(app)
        applications = [
            await make_application(app, business, status="awaiting_signature", stage="signature")
            for _ in range(CONCURRENT_ISSUANCES)
        ]

        permits = await asyncio.gather(*(issue_for(app, a) for a in applications))

        assert sorted(serial(p.number) for p in permits) == list(range(1, CONCURRENT_ISSUANCES + 1))
        assert len({p.verification_code for p in permits}) == CONCURRENT_ISSUANCES

    async def test_a_rolled_back_issuance_gives_its_number_back(self, app: FastAPI) -> None:
        business = await make_business(app)
        application = await make_application(
            app, business, status="awaiting_signature", stage="signature"
        )
        runtime = app.state.runtime
        async with runtime.session_factory() as session:
            loaded = await session.get(type(application), application.id)
            assert loaded is not None
            await issue_permit(
                session, loaded, signer=HEAD, clock=clock_at(NOW), settings=runtime.settings
            )
            await session.rollback()

        permit = await issue_for(app, application)

        assert serial(permit.number) == 1
        async with runtime.session_factory() as session:
            count = await session.execute(select(func.count()).select_from(Permit))
            counter = await session.get(PermitCounter, 2026)
        assert count.scalar_one() == 1
        assert counter is not None
        assert counter.last_number == 1
        assert len(await events(app, "permit.issued")) == 1
