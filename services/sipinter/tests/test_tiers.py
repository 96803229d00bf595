"""Each risk tier's path through the officers' stages, over HTTP, from a submitted application.

* low (UMK_RENDAH): issued on submission; no review stage at all;
* medium-low (TDUP): the administrative check issues it, nobody signs;
* medium-high (IZIN_APOTEK): check, assignment, verification, recommendation, signature;
* medium-high with a survey asked for and a levy (REKLAME): ends waiting for the payment;
* high (IZIN_KLINIK): the survey is required before the recommendation; a flat levy.

The levy payment itself is the levy tests' (a signed callback from a channel).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_sipinter.catalogue.standards import CATALOGUE
from cimahi_sipinter.models import Permit
from services.sipinter.tests.conftest import Tokens, error_fields, problem
from services.sipinter.tests.factories import VERIFIER, make_application, make_business, pin_clock
from services.sipinter.tests.test_review_helpers import (
    HEAD,
    assign_verifier,
    call,
    domain,
    front,
    head,
    history,
    lifecycle,
    ok,
    stored,
    verifier,
)

CHECK = "administrative-check"
VERIFY = "technical-verification"


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


async def submitted(app: FastAPI, permit_type: str) -> str:
    """A submitted application of ``permit_type`` of a Melong business."""
    business = await make_business(app)
    return (await make_application(app, business, permit_type=permit_type)).id


async def permit_of(app: FastAPI, application_id: str) -> Permit:
    """The permit issued for the application."""
    async with app.state.runtime.session_factory() as session:
        query = select(Permit).where(Permit.application_id == application_id)
        permit: Permit | None = (await session.execute(query)).scalar_one_or_none()
    assert permit is not None
    return permit


async def actions(app: FastAPI, application_id: str) -> list[str]:
    """The history's actions, in order."""
    return [row.action for row in await history(app, application_id)]


async def verified_to_survey(
    client: httpx.AsyncClient, tokens: Tokens, application_id: str, *, requested: bool
) -> dict[str, Any]:
    """Check, assign and verify; the survey stage follows."""
    await ok(client, application_id, CHECK, {"outcome": "accept"}, front(tokens))
    await assign_verifier(client, tokens, application_id)
    body = {"outcome": "verified", "findings": "Sesuai.", "survey_requested": requested}
    answer = await ok(client, application_id, VERIFY, body, verifier(tokens))
    assert (answer["status"], answer["stage"]) == ("site_survey", "site_survey")
    return answer


async def surveyed(client: httpx.AsyncClient, tokens: Tokens, application_id: str) -> None:
    """The survey is held today and passes."""
    day = {"scheduled_for": "2026-03-02"}
    await ok(client, application_id, "site-survey", day, verifier(tokens), method="PUT")
    report = {"outcome": "passed", "findings": "Lokasi sesuai."}
    answer = await ok(client, application_id, "site-survey/report", report, verifier(tokens))
    assert (answer["status"], answer["stage"]) == ("awaiting_recommendation", "recommendation")


class TestLow:
    async def test_the_low_tier_has_no_review_stage(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        assert CATALOGUE["UMK_RENDAH"].stages == ()
        business = await make_business(app)
        application = await make_application(
            app, business, permit_type="UMK_RENDAH", status="issued", stage=None
        )
        response = await call(client, application.id, CHECK, {"outcome": "accept"}, front(tokens))
        problem(response, 409)
        response = await call(client, application.id, "reject", {"note": "x"}, head(tokens))
        problem(response, 409)


class TestMediumLow:
    async def test_the_administrative_check_issues_it_without_a_signature(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await submitted(app, "TDUP")
        answer = await ok(client, application_id, CHECK, {"outcome": "accept"}, front(tokens))
        assert (answer["status"], answer["stage"]) == ("issued", None)
        assert answer["stages"] == ["administrative_check"]
        assert answer["permit"] is not None
        assert answer["decided_at"] is not None
        permit = await permit_of(app, application_id)
        assert permit.signed_by_sub is None
        assert await actions(app, application_id) == ["accept"]
        assert await domain(app, "application.verified", application_id) == []  # none in this tier


class TestMediumHigh:
    async def test_pharmacy_without_survey_is_signed_by_the_head(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await submitted(app, "IZIN_APOTEK")
        answer = await ok(client, application_id, CHECK, {"outcome": "accept"}, front(tokens))
        assert (answer["status"], answer["stage"]) == ("in_verification", "technical_verification")
        answer = await assign_verifier(client, tokens, application_id)
        assert answer["assigned_officer"] == {"sub": VERIFIER, "name": "Rina Verifikator"}
        body = {"outcome": "verified", "findings": "Sarana sesuai standar."}
        answer = await ok(client, application_id, VERIFY, body, verifier(tokens))
        assert (answer["status"], answer["stage"]) == ("awaiting_recommendation", "recommendation")
        assert answer["verification_findings"] == "Sarana sesuai standar."
        [verified] = await domain(app, "application.verified", application_id)
        assert verified["stage"] == "recommendation"
        conditions = ["Apoteker penanggung jawab hadir selama jam buka."]
        recommendation = {
            "outcome": "approve",
            "note": "Layak diberikan.",
            "conditions": conditions,
        }
        answer = await ok(
            client, application_id, "recommendation", recommendation, verifier(tokens)
        )
        assert (answer["status"], answer["stage"]) == ("awaiting_signature", "signature")
        assert answer["conditions"] == conditions
        assert answer["recommendation_note"] == "Layak diberikan."
        assert (await stored(app, application_id)).levy_status == "none"
        answer = await ok(client, application_id, "sign", None, head(tokens))
        assert (answer["status"], answer["stage"]) == ("issued", None)
        assert answer["permit"]["status"] == "valid"
        permit = await permit_of(app, application_id)
        assert permit.signed_by_sub == HEAD
        assert permit.conditions == conditions
        assert await actions(app, application_id) == [
            "accept",
            "assign",
            "verify",
            "recommend",
            "sign",
        ]
        statuses = [e["status"] for e in await lifecycle(app, answer["registration_number"])]
        assert statuses == ["in_review", "in_review", "in_review", "in_process", "completed"]

    async def test_billboard_with_a_survey_and_a_levy_waits_for_the_payment(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await submitted(app, "REKLAME")
        await verified_to_survey(client, tokens, application_id, requested=True)
        await surveyed(client, tokens, application_id)
        body = {"outcome": "approve", "note": "Layak.", "levy": {"area_m2": 8, "years": 1}}
        answer = await ok(client, application_id, "recommendation", body, verifier(tokens))
        assert (answer["status"], answer["stage"]) == ("awaiting_payment", "levy_payment")
        assert answer["levy"]["status"] == "due"
        assert answer["levy"]["amount"] == 200_000  # 25,000 x 8 m2 x 1 year
        assert answer["deadline"]["colour"] == "paused"
        application = await stored(app, application_id)
        assert application.paused_at is not None
        assert application.levy_code
        assert await domain(app, "application.levy_due", application_id)
        # Nothing to sign before the payment.
        problem(await call(client, application_id, "sign", None, head(tokens)), 409)

    async def test_billboard_levy_needs_its_measures(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await submitted(app, "REKLAME")
        await ok(client, application_id, CHECK, {"outcome": "accept"}, front(tokens))
        await assign_verifier(client, tokens, application_id)
        body = {"outcome": "verified"}
        answer = await ok(client, application_id, VERIFY, body, verifier(tokens))
        assert answer["stage"] == "recommendation"  # optional survey, not asked for
        response = await call(
            client, application_id, "recommendation", {"outcome": "approve"}, verifier(tokens)
        )
        assert error_fields(response) == {"levy.area_m2"}
        application = await stored(app, application_id)
        assert (application.status, application.levy_status) == ("awaiting_recommendation", "none")


class TestHigh:
    async def test_clinic_survey_is_required_before_the_recommendation(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await submitted(app, "IZIN_KLINIK")
        answer = await verified_to_survey(client, tokens, application_id, requested=False)
        assert answer["survey"]["required"] is True
        body = {"outcome": "approve", "note": "Layak."}
        problem(await call(client, application_id, "recommendation", body, verifier(tokens)), 409)
        await surveyed(client, tokens, application_id)
        answer = await ok(client, application_id, "recommendation", body, verifier(tokens))
        assert (answer["status"], answer["stage"]) == ("awaiting_payment", "levy_payment")
        assert answer["levy"]["amount"] == 1_500_000
        assert await actions(app, application_id) == [
            "accept",
            "assign",
            "verify",
            "schedule_survey",
            "survey_passed",
            "recommend",
        ]

    async def test_clinic_signed_once_the_levy_is_paid(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        application = await make_application(
            app,
            business,
            status="awaiting_signature",
            stage="signature",
            assigned_officer_sub=VERIFIER,
            levy_status="paid",
            levy_amount=1_500_000,
            conditions=["Izin berlaku untuk satu lokasi."],
        )
        answer = await ok(client, application.id, "sign", {"note": "Ditandatangani."}, head(tokens))
        assert (answer["status"], answer["permit"]["status"]) == ("issued", "valid")
        assert answer["permit"]["valid_until"] == "2031-03-01"  # five years
        assert (await permit_of(app, application.id)).signed_by_sub == HEAD
