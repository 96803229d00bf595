"""Levy: the amount per basis, payment codes, and the channels' signed payment confirmations."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select, update

from cimahi_shared.errors import InvalidInput
from cimahi_sipinter.config import SipinterSettings
from cimahi_sipinter.levy.codes import BILLER_PREFIX
from cimahi_sipinter.levy.schemas import LevyQuantity
from cimahi_sipinter.models import Application, ApplicationHistory, LevyPayment
from services.sipinter.tests.conftest import error_fields, problem
from services.sipinter.tests.factories import CALENDAR, NOW, make_business, pin_clock
from services.sipinter.tests.test_levy_helpers import (
    CHANNEL,
    OTHER_SECRET,
    SECRET,
    confirmation,
    count,
    outbox_events,
    pay,
    recommended,
    reload,
)

LATER = NOW + timedelta(days=7)  # Monday 9 March 2026, 09:00 WIB


@pytest.fixture
def settings(migrated_url: str) -> SipinterSettings:
    """The tests' settings with one payment channel (``bank-bjb``) and its secret."""
    return SipinterSettings(
        database_url=migrated_url,
        nats_enabled=False,
        log_json=False,
        levy_channels={CHANNEL: [SecretStr(SECRET)]},
    )


class TestAssessment:
    @pytest.mark.parametrize(
        ("permit_type", "quantity", "amount", "stored"),
        [
            ("IZIN_KLINIK", None, 1_500_000, None),  # flat
            ("PBG", LevyQuantity(area_m2=120), 1_200_000, {"area_m2": 120}),  # 10,000 per m2
            ("PBG", LevyQuantity(area_m2=10), 250_000, {"area_m2": 10}),  # the minimum
            ("REKLAME", LevyQuantity(area_m2=8), 200_000, {"area_m2": 8, "years": 1}),
            ("REKLAME", LevyQuantity(area_m2=8, years=3), 600_000, {"area_m2": 8, "years": 3}),
        ],
    )
    async def test_a_due_levy_gets_its_amount_code_deadline_and_event(
        self,
        app: FastAPI,
        settings: SipinterSettings,
        permit_type: str,
        quantity: LevyQuantity | None,
        amount: int,
        stored: dict[str, int] | None,
    ) -> None:
        business = await make_business(app)
        application = await recommended(
            app, business, settings, permit_type=permit_type, quantity=quantity
        )
        assert application.levy_amount == amount
        assert application.levy_quantity == stored
        assert application.levy_status == "due"
        assert application.status == "awaiting_payment"
        assert application.stage == "levy_payment"
        code = application.levy_code
        assert code is not None
        assert len(code) == 16
        assert code.isdigit()
        assert code.startswith(BILLER_PREFIX)
        # 10 working days from Monday 2 March: Friday 13 March, end of the day in Cimahi.
        assert application.levy_due_at == CALENDAR.due_at(NOW, 10)
        assert application.paused_at == NOW  # the applicant pays: the deadline waits
        (event,) = await outbox_events(app, "application.levy_due")
        assert event["subject"] == application.id
        assert event["data"]["amount"] == amount
        assert event["data"]["levy_code"] == code
        assert event["data"]["levy_due_at"] == application.levy_due_at.isoformat()

    async def test_no_levy_goes_straight_to_the_signature(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        application = await recommended(app, business, settings, permit_type="SIP_DOKTER")
        assert (application.levy_amount, application.levy_status) == (0, "none")
        assert application.levy_code is None
        assert application.levy_due_at is None
        assert application.status == "awaiting_signature"
        assert await outbox_events(app, "application.levy_due") == []

    @pytest.mark.parametrize("quantity", [None, LevyQuantity(years=2)])
    @pytest.mark.parametrize("permit_type", ["PBG", "REKLAME"])
    async def test_an_area_levy_without_the_area_is_a_422_naming_it_and_changes_nothing(
        self,
        app: FastAPI,
        settings: SipinterSettings,
        permit_type: str,
        quantity: LevyQuantity | None,
    ) -> None:
        business = await make_business(app)
        with pytest.raises(InvalidInput) as raised:
            await recommended(app, business, settings, permit_type=permit_type, quantity=quantity)
        assert raised.value.status == 422
        assert [e["field"] for e in raised.value.errors or []] == ["levy.area_m2"]
        assert await count(app, Application, Application.levy_code.is_not(None)) == 0
        assert await outbox_events(app, "application.levy_due") == []

    async def test_codes_differ_between_applications(
        self, app: FastAPI, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        codes = {(await recommended(app, business, settings)).levy_code for _ in range(5)}
        assert len(codes) == 5


class TestConfirmation:
    async def test_a_signed_confirmation_marks_the_levy_paid_and_resumes_the_deadline(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        business = await make_business(app)
        application = await recommended(app, business, settings)
        remaining = application.remaining_working_days
        assert remaining is not None
        assert remaining > 0
        pin_clock(app, LATER)  # the applicant pays a week later
        body = confirmation(application, paid_at="2026-03-09T08:30:00+07:00")
        response = await pay(client, body, timestamp=LATER)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "application_id": application.id,
            "registration_number": application.registration_number,
            "levy_code": application.levy_code,
            "amount": 1_500_000,
            "channel_reference": body["channel_reference"],
            "paid_at": "2026-03-09T01:30:00Z",
            "status": "paid",
        }
        stored = await reload(app, application.id)
        assert (stored.status, stored.stage, stored.levy_status) == (
            "awaiting_signature",
            "signature",
            "paid",
        )
        # The week spent paying does not count: the working days left start again from today.
        assert stored.paused_at is None
        assert stored.due_at == CALENDAR.due_at(LATER, remaining)
        assert stored.paused_seconds == 7 * 24 * 3600
        async with app.state.runtime.session_factory() as session:
            payment = (await session.execute(select(LevyPayment))).scalar_one()
            step = (
                await session.execute(
                    select(ApplicationHistory).where(ApplicationHistory.action == "levy_paid")
                )
            ).scalar_one()
        assert (payment.channel, payment.amount) == (CHANNEL, 1_500_000)
        assert len(payment.body_sha256) == 64
        assert payment.message_id.startswith("msg_")
        assert (step.actor_role, step.actor_sub, step.to_status) == (
            "channel",
            f"channel:{CHANNEL}",
            "awaiting_signature",
        )
        (paid,) = await outbox_events(app, "application.levy_paid")
        assert paid["data"]["amount"] == 1_500_000
        assert paid["data"]["channel_reference"] == body["channel_reference"]
        assert paid["data"]["status"] == "awaiting_signature"
        lifecycle = [e for e in await outbox_events(app) if e["type"].endswith("lifecycle.v1")]
        assert lifecycle[-1]["data"]["agency_status"] == "awaiting_signature"

    async def test_a_repeated_delivery_gets_the_same_answer_and_records_nothing_new(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        pin_clock(app)
        application = await recommended(app, await make_business(app), settings)
        body = confirmation(application)
        first = await pay(client, body)
        events = len(await outbox_events(app))
        again = await pay(client, body, timestamp=NOW + timedelta(seconds=60))
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == first.json()
        assert await count(app, LevyPayment) == 1
        assert len(await outbox_events(app)) == events
        assert await count(app, ApplicationHistory, ApplicationHistory.action == "levy_paid") == 1

    async def test_the_same_reference_with_another_body_is_a_409(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        pin_clock(app)
        business = await make_business(app)
        application = await recommended(app, business, settings)
        body = confirmation(application)
        assert (await pay(client, body)).status_code == 200
        later = {**body, "paid_at": "2026-03-02T08:56:00+07:00"}
        assert problem(await pay(client, later), 409)["type"].endswith("channel-reference-reused")
        other = await recommended(app, business, settings)
        reused = confirmation(other, channel_reference=body["channel_reference"])
        problem(await pay(client, reused), 409)
        assert (await reload(app, other.id)).levy_status == "due"
        assert await count(app, LevyPayment) == 1

    @pytest.mark.parametrize("case", ["other_secret", "no_headers", "old", "unknown_channel"])
    async def test_an_unsigned_or_wrongly_signed_callback_is_a_401_and_records_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings, case: str
    ) -> None:
        pin_clock(app)
        application = await recommended(app, await make_business(app), settings)
        body = confirmation(application)
        if case == "other_secret":
            response = await pay(client, body, secret=OTHER_SECRET)
        elif case == "no_headers":
            response = await pay(client, body, headers={})
        elif case == "old":
            response = await pay(client, body, timestamp=NOW - timedelta(minutes=6))
        else:
            response = await pay(client, body, channel="bank-unknown")
        refused = problem(response, 401)
        if case == "unknown_channel":  # told apart from a wrong signature in no way
            wrong = problem(await pay(client, body, secret=OTHER_SECRET), 401)
            assert {k: refused[k] for k in ("type", "title", "detail")} == {
                k: wrong[k] for k in ("type", "title", "detail")
            }
        assert await count(app, LevyPayment) == 0
        assert (await reload(app, application.id)).status == "awaiting_payment"

    async def test_a_wrong_amount_is_a_422_naming_amount(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        pin_clock(app)
        application = await recommended(app, await make_business(app), settings)
        response = await pay(client, confirmation(application, amount=1_000_000))
        assert problem(response, 422)["type"].endswith("amount-mismatch")
        assert error_fields(response) == {"amount"}
        assert await count(app, LevyPayment) == 0

    async def test_invalid_fields_and_a_future_payment_are_422s_naming_them(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        pin_clock(app)
        application = await recommended(app, await make_business(app), settings)
        bad = await pay(client, confirmation(application, levy_code="12", paid_at="yesterday"))
        problem(bad, 422)
        assert {"levy_code", "paid_at"} <= error_fields(bad)
        future = await pay(client, confirmation(application, paid_at="2026-03-02T10:00:00+07:00"))
        problem(future, 422)
        assert error_fields(future) == {"paid_at"}
        assert await count(app, LevyPayment) == 0

    async def test_an_unknown_code_is_a_404(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings
    ) -> None:
        pin_clock(app)
        application = await recommended(app, await make_business(app), settings)
        response = await pay(client, confirmation(application, levy_code="8328000000000000"))
        problem(response, 404)

    @pytest.mark.parametrize("status", ["withdrawn", "awaiting_signature"])
    async def test_a_levy_of_an_application_not_awaiting_payment_is_a_409(
        self, app: FastAPI, client: httpx.AsyncClient, settings: SipinterSettings, status: str
    ) -> None:
        pin_clock(app)
        application = await recommended(app, await make_business(app), settings)
        async with app.state.runtime.session_factory() as session:
            await session.execute(
                update(Application).where(Application.id == application.id).values(status=status)
            )
            await session.commit()
        response = await pay(client, confirmation(application))
        assert problem(response, 409)["type"].endswith("levy-not-payable")
        assert await count(app, LevyPayment) == 0
        assert await outbox_events(app, "application.levy_paid") == []


class TestConcurrentDeliveries:
    async def test_two_deliveries_at_once_record_one_payment(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        settings: SipinterSettings,
        database_url: str,
    ) -> None:
        if not database_url.startswith("postgresql"):
            pytest.skip("row locks are PostgreSQL's; SQLite serialises writers anyway")
        pin_clock(app)
        business = await make_business(app)
        for _ in range(3):
            application = await recommended(app, business, settings)
            body = confirmation(application)
            responses = await asyncio.gather(*(pay(client, body) for _ in range(3)))
            assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
            oks = [r.json() for r in responses if r.status_code == 200]
            assert oks
            assert all(ok == oks[0] for ok in oks)
            assert await count(app, LevyPayment, LevyPayment.application_id == application.id) == 1
        assert len(await outbox_events(app, "application.levy_paid")) == 3
