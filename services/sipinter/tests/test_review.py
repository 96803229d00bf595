"""The officers' stages: who may act, returns and rejections, input checks, one step one record.

Applications are put straight into the database at the status a test needs
(``factories.make_application``); the clock is pinned to Monday 2 March 2026 09:00 WIB.
The tiers' whole paths are in test_tiers.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_sipinter.models import AccessAudit
from services.sipinter.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.sipinter.tests.factories import (
    NOW,
    VERIFIER,
    make_application,
    make_business,
    pin_clock,
)
from services.sipinter.tests.test_review_helpers import (
    HEAD,
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

RETURN_NOTE = "Daftar peralatan belum ditandatangani oleh penanggung jawab."


@pytest.fixture(autouse=True)
def _pinned(app: FastAPI) -> None:
    pin_clock(app)


async def clinic(app: FastAPI, **overrides: object) -> str:
    """An IZIN_KLINIK application of a Melong business (submitted, unless overridden)."""
    business = await make_business(app)
    application = await make_application(app, business, **overrides)  # type: ignore[arg-type]
    return application.id


async def in_verification(app: FastAPI, *, assigned: str | None = VERIFIER, **extra: object) -> str:
    """A clinic application in technical verification, assigned to ``assigned``."""
    return await clinic(
        app,
        status="in_verification",
        stage="technical_verification",
        assigned_officer_sub=assigned,
        assigned_officer_name="Rina Verifikator" if assigned else None,
        **extra,
    )


class TestWhoMayAct:
    async def test_an_officer_of_another_area_gets_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        body = {"outcome": "accept"}
        response = await call(
            client, application_id, "administrative-check", body, front(tokens, CIBABAT)
        )
        problem(response, 404)
        # The officer of the kelurahan itself may.
        await ok(client, application_id, "administrative-check", body, front(tokens, MELONG))

    async def test_other_agencies_citizens_and_admins_get_403(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        body = {"outcome": "accept"}
        for headers in (
            tokens.officer(agency="lakami"),
            tokens.citizen(),
            tokens.citizen("01JANI00000000000000000000"),  # the owner
            tokens.admin(),
        ):
            response = await call(client, application_id, "administrative-check", body, headers)
            problem(response, 403)
        assert (await stored(app, application_id)).status == "submitted"

    async def test_only_the_assigned_officer_does_the_technical_stages(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await in_verification(app, assigned="01JOTHER000000000000000000")
        body = {"outcome": "verified", "findings": "Sesuai standar."}
        for headers in (verifier(tokens), head(tokens), front(tokens)):
            problem(
                await call(client, application_id, "technical-verification", body, headers), 403
            )
        # Nobody assigned yet: the head must assign first (409 says so).
        unassigned = await in_verification(app, assigned=None)
        problem(
            await call(client, unassigned, "technical-verification", body, verifier(tokens)), 409
        )

    async def test_the_front_office_cannot_assign_sign_or_reject(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        verifying = await in_verification(app, assigned=None)
        body = {"officer_sub": VERIFIER, "officer_name": "Rina"}
        problem(await call(client, verifying, "assign", body, front(tokens)), 403)
        problem(await call(client, verifying, "assign", body, verifier(tokens)), 403)
        problem(await call(client, verifying, "reject", {"note": "Tidak."}, front(tokens)), 403)
        signing = await clinic(app, status="awaiting_signature", stage="signature")
        problem(await call(client, signing, "sign", {}, front(tokens)), 403)
        assert (await stored(app, verifying)).assigned_officer_sub is None
        assert (await stored(app, signing)).status == "awaiting_signature"

    async def test_the_head_may_do_the_administrative_check(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        body = await ok(
            client, application_id, "administrative-check", {"outcome": "accept"}, head(tokens)
        )
        assert (body["status"], body["stage"]) == ("in_verification", "technical_verification")
        assert body["assigned_officer"] is None

    async def test_nobody_acts_on_a_draft(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app, status="draft", stage=None)
        for step, body in (
            ("administrative-check", {"outcome": "accept"}),
            ("reject", {"note": "Tidak lengkap."}),
        ):
            problem(await call(client, application_id, step, body, head(tokens)), 404)

    @pytest.mark.parametrize("final", ["issued", "rejected", "withdrawn"])
    async def test_nobody_acts_on_a_final_application(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, final: str
    ) -> None:
        application_id = await clinic(app, status=final, stage=None)
        for step, body in (
            ("administrative-check", {"outcome": "accept"}),
            ("technical-verification", {"outcome": "verified"}),
            ("recommendation", {"outcome": "approve"}),
            ("sign", {}),
            ("reject", {"note": "Tidak."}),
        ):
            problem(await call(client, application_id, step, body, head(tokens)), 409)
        assert await history(app, application_id) == []

    async def test_assigning_is_for_the_technical_stages(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        body = {"officer_sub": VERIFIER, "officer_name": "Rina"}
        problem(await call(client, application_id, "assign", body, head(tokens)), 409)

    async def test_every_step_is_in_the_access_log(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        headers = {**front(tokens), "X-Purpose": "Pemeriksaan berkas"}
        await ok(client, application_id, "administrative-check", {"outcome": "accept"}, headers)
        async with app.state.runtime.session_factory() as session:
            rows = list((await session.execute(select(AccessAudit))).scalars())
        assert [(r.action, r.purpose) for r in rows] == [("review", "Pemeriksaan berkas")]


class TestReturning:
    async def test_a_return_at_the_administrative_check_pauses_the_clock_and_keeps_the_stage(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        pin_clock(app, NOW + timedelta(days=2))  # Wednesday 4 March
        body = await ok(
            client,
            application_id,
            "administrative-check",
            {"outcome": "return", "note": RETURN_NOTE, "missing_items": ["equipment_list", "slf"]},
            front(tokens),
        )
        assert (body["status"], body["stage"]) == ("returned", "administrative_check")
        assert body["missing_items"] == ["equipment_list", "slf"]
        assert body["deadline"]["colour"] == "paused"
        application = await stored(app, application_id)
        assert application.paused_at == NOW + timedelta(days=2)
        # 30 working days from Monday 2 March; Wednesday 4 March: two used, 28 left.
        assert application.remaining_working_days == 28
        assert body["deadline"]["working_days_left"] == 28
        assert application.missing_items == ["equipment_list", "slf"]

        [returned] = await domain(app, "application.returned", application_id)
        assert returned["missing_items"] == ["equipment_list", "slf"]
        assert returned["status"] == "returned"
        assert RETURN_NOTE not in str(returned)
        last = (await lifecycle(app, application.registration_number or ""))[-1]
        assert (last["status"], last["agency_status"], last["sequence"]) == (
            "needs_revision",
            "returned",
            2,
        )
        assert last["note"] == RETURN_NOTE

    async def test_a_return_at_technical_verification_keeps_that_stage(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await in_verification(app)
        body = await ok(
            client,
            application_id,
            "technical-verification",
            {
                "outcome": "return",
                "findings": "Denah tidak sesuai lokasi.",
                "note": "Perbaiki denah dan daftar tenaga kesehatan.",
                "missing_items": ["staff_list"],
            },
            verifier(tokens),
        )
        assert (body["status"], body["stage"]) == ("returned", "technical_verification")
        assert body["verification_findings"] == "Denah tidak sesuai lokasi."
        application = await stored(app, application_id)
        assert application.paused_at == NOW
        assert application.remaining_working_days == 30
        [returned] = await domain(app, "application.returned", application_id)
        assert (returned["stage"], returned["missing_items"]) == (
            "technical_verification",
            ["staff_list"],
        )
        [row] = await history(app, application_id)
        assert (row.action, row.from_status, row.to_status, row.stage, row.actor_sub) == (
            "return",
            "in_verification",
            "returned",
            "technical_verification",
            VERIFIER,
        )

    async def test_a_return_needs_a_note_and_codes_of_the_type(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        response = await call(
            client,
            application_id,
            "administrative-check",
            {"outcome": "return", "note": "  ", "missing_items": ["ktp", "passport"]},
            front(tokens),
        )
        assert error_fields(response) == {"note", "missing_items[1]"}
        response = await call(
            client, application_id, "administrative-check", {"outcome": "reject"}, front(tokens)
        )
        assert error_fields(response) == {"note"}
        application = await stored(app, application_id)
        assert (application.status, application.sequence, application.missing_items) == (
            "submitted",
            1,
            None,
        )
        assert await history(app, application_id) == []
        assert await domain(app, "application.returned", application_id) == []


class TestRejecting:
    async def test_a_rejection_at_the_administrative_check_is_final(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(app)
        note = "Lokasi berada di zona yang tidak diperuntukkan bagi klinik."
        body = await ok(
            client,
            application_id,
            "administrative-check",
            {"outcome": "reject", "note": note},
            front(tokens),
        )
        assert body["status"] == "rejected"
        assert body["decided_at"] is not None
        application = await stored(app, application_id)
        assert (application.decision_note, application.decided_at) == (note, NOW)
        [rejected] = await domain(app, "application.rejected", application_id)
        assert rejected["stage"] == "administrative_check"
        assert note not in str(rejected)
        last = (await lifecycle(app, application.registration_number or ""))[-1]
        assert (last["status"], last["sequence"]) == ("rejected", 2)

    async def test_the_head_rejects_at_any_open_stage_with_a_reason(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await in_verification(app)
        problem(await call(client, application_id, "reject", {}, head(tokens)), 422)
        assert error_fields(
            await call(client, application_id, "reject", {"note": ""}, head(tokens))
        ) == {"note"}
        body = await ok(
            client, application_id, "reject", {"note": "Izin lokasi dicabut."}, head(tokens)
        )
        assert body["status"] == "rejected"
        [row] = await history(app, application_id)
        assert (row.action, row.actor_sub, row.from_status) == ("reject", HEAD, "in_verification")
        # A returned application (clock paused) may be rejected too.
        returned = await clinic(app, status="returned", stage="administrative_check", paused_at=NOW)
        body = await ok(client, returned, "reject", {"note": "Tidak dilengkapi."}, head(tokens))
        assert body["status"] == "rejected"


class TestInput:
    async def test_a_survey_cannot_be_requested_for_a_type_without_one(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        # TDUP has no site survey ("none"); put here in verification only to reach the guard.
        application_id = await in_verification(app, permit_type="TDUP")
        body = {"outcome": "verified", "survey_requested": True}
        response = await call(
            client, application_id, "technical-verification", body, verifier(tokens)
        )
        assert error_fields(response) == {"survey_requested"}
        assert (await stored(app, application_id)).status == "in_verification"

    async def test_the_survey_day_is_a_working_day_today_or_later(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(
            app, status="site_survey", stage="site_survey", assigned_officer_sub=VERIFIER
        )
        for day in (
            date(2026, 3, 1),  # yesterday
            date(2026, 3, 7),  # Saturday
            date(2026, 3, 19),  # Nyepi
            "not-a-date",
        ):
            response = await call(
                client,
                application_id,
                "site-survey",
                {"scheduled_for": str(day)},
                verifier(tokens),
                method="PUT",
            )
            assert error_fields(response) == {"scheduled_for"}, day
        body = await ok(
            client,
            application_id,
            "site-survey",
            {"scheduled_for": "2026-03-05"},
            verifier(tokens),
            method="PUT",
        )
        assert body["survey"]["scheduled_for"] == "2026-03-05"
        assert body["status"] == "site_survey"

    async def test_the_survey_is_reported_on_or_after_its_day(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(
            app, status="site_survey", stage="site_survey", assigned_officer_sub=VERIFIER
        )
        report = {"outcome": "passed", "findings": "Ruang tindakan sesuai standar."}
        problem(
            await call(client, application_id, "site-survey/report", report, verifier(tokens)), 409
        )
        await ok(
            client,
            application_id,
            "site-survey",
            {"scheduled_for": "2026-03-05"},
            verifier(tokens),
            method="PUT",
        )
        problem(
            await call(client, application_id, "site-survey/report", report, verifier(tokens)), 409
        )
        pin_clock(app, NOW + timedelta(days=3))  # Thursday 5 March
        body = await ok(client, application_id, "site-survey/report", report, verifier(tokens))
        assert (body["status"], body["stage"]) == ("awaiting_recommendation", "recommendation")
        assert body["survey"]["passed"] is True
        assert body["survey"]["findings"] == "Ruang tindakan sesuai standar."

    async def test_conditions_are_short_and_few(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        application_id = await clinic(
            app,
            status="awaiting_recommendation",
            stage="recommendation",
            assigned_officer_sub=VERIFIER,
        )
        too_many = {"outcome": "approve", "conditions": [f"Syarat {i}" for i in range(21)]}
        response = await call(client, application_id, "recommendation", too_many, verifier(tokens))
        assert error_fields(response) == {"conditions"}
        too_long = {"outcome": "approve", "conditions": ["ok", "x" * 301]}
        response = await call(client, application_id, "recommendation", too_long, verifier(tokens))
        assert error_fields(response) == {"conditions.1"}
        response = await call(
            client, application_id, "recommendation", {"outcome": "reject"}, verifier(tokens)
        )
        assert error_fields(response) == {"note"}
        assert (await stored(app, application_id)).status == "awaiting_recommendation"


class TestOneStepOneRecord:
    async def test_every_step_writes_one_history_row_and_one_lifecycle_event(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        business = await make_business(app)
        application = await make_application(app, business, permit_type="IZIN_APOTEK")
        steps: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
            ("administrative-check", {"outcome": "accept"}, front(tokens), "accept"),
            ("assign", {"officer_sub": VERIFIER, "officer_name": "Rina"}, head(tokens), "assign"),
            (
                "technical-verification",
                {"outcome": "verified", "survey_requested": True},
                verifier(tokens),
                "verify",
            ),
            ("site-survey", {"scheduled_for": "2026-03-02"}, verifier(tokens), "schedule_survey"),
            ("site-survey/report", {"outcome": "passed"}, verifier(tokens), "survey_passed"),
            (
                "recommendation",
                {"outcome": "approve", "note": "Layak."},
                verifier(tokens),
                "recommend",
            ),
            ("sign", {"note": "Disetujui."}, head(tokens), "sign"),
        ]
        number = application.registration_number or ""
        for index, (step, body, headers, action) in enumerate(steps, start=2):
            method = "PUT" if step == "site-survey" else "POST"
            answer = await ok(client, application.id, step, body, headers, method=method)
            rows = await history(app, application.id)
            assert [r.sequence for r in rows] == list(range(2, index + 1)), step
            assert rows[-1].action == action
            assert rows[-1].to_status == answer["status"]
            events = await lifecycle(app, number)
            assert [e["sequence"] for e in events] == list(range(2, index + 1)), step
            assert events[-1]["agency_status"] == answer["status"]
            assert [h["sequence"] for h in answer["history"]][-1] == index
        assert answer["status"] == "issued"
        async with app.state.runtime.session_factory() as session:
            count = await session.scalar(select(func.count()).select_from(AccessAudit))
        assert count == len(steps)
