"""Payments through channels: exact amounts, signed idempotent callbacks, refusals that change
nothing, and exactly one winner among concurrent confirmations of a bill."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cloudevents.core.formats.json import JSONFormat
from fastapi import FastAPI
from sqlalchemy import func, select

from cimahi_epbb.models import Bill, CallbackReplay, Payment, PaymentCode, Receipt
from cimahi_epbb.payments import service as payments
from cimahi_epbb.payments.codes import crc16_ccitt
from cimahi_epbb.payments.schemas import PaymentConfirmation
from cimahi_shared.auth import Principal
from cimahi_shared.webhooks.signing import SignedMessage, signed_headers
from services.epbb.tests.conftest import Tokens, error_fields, problem
from services.epbb.tests.factories import (
    ANI_NIK,
    CIBABAT,
    CIBABAT_NOP,
    MELONG_NOP,
    NOW,
    add_bill,
    add_object,
    load_rules,
)
from services.epbb.tests.test_payments_helpers import (
    Channel,
    bills_of,
    callback_body,
    confirm,
    link,
    new_code,
    outboxed,
    pin_clock,
    register_channel,
)

PAYMENT_RECEIVED = "id.go.cimahikota.epbb.payment.received.v1"
LIFECYCLE = "id.go.cimahikota.request.lifecycle.v1"


@pytest.fixture
async def bjb(app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any) -> Channel:
    """Ani's object in Melong with its 2025 and 2026 bills, Budi's in Cibabat (2026), and the
    bank channel "bjb"; the clock pinned at 1 June 2026, 10:00 WIB."""
    pin_clock(app, NOW)
    await load_rules(session)
    pii = app.state.runtime.pii
    ani = await add_object(session, pii)
    await add_bill(session, ani, tax_year=2025)
    await add_bill(session, ani, tax_year=2026)
    budi = await add_object(
        session, pii, nop=CIBABAT_NOP, kelurahan_code=CIBABAT, nik=None, name="Budi Santoso"
    )
    await add_bill(session, budi, tax_year=2026)
    await session.commit()
    return await register_channel(client, tokens, code="bjb", client_id="bank-bjb-demo")


def _principal(channel: Channel) -> Principal:
    return Principal(
        sub=channel.client_id,
        role="client",
        scopes=frozenset({"epbb:channel"}),
        client_id=channel.client_id,
    )


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.runtime.session_factory() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


class TestInquiry:
    async def test_the_channel_sees_unpaid_bills_with_todays_amounts_and_a_masked_name(
        self, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        response = await client.get("/v1/channel/bills/32.77.010.001.001-0001.0", headers=bjb.auth)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["taxpayer_name"] == "A** L******"
        assert ANI_NIK not in response.text
        assert "Ani" not in response.text
        assert [b["tax_year"] for b in body["bills"]] == [2026, 2025]
        this_year = body["bills"][0]
        # 1 June 2026: the 5% early-payment discount (until 31 July) on Rp453,924.
        assert this_year["principal"] == 453_924
        assert this_year["discount"] == 22_696
        assert this_year["total"] == 453_924 - 22_696
        assert body["total_due"] == sum(b["total"] for b in body["bills"])

    async def test_bad_and_unknown_nops(self, client: httpx.AsyncClient, bjb: Channel) -> None:
        assert error_fields(await client.get("/v1/channel/bills/12345", headers=bjb.auth)) == {
            "nop"
        }
        unknown = await client.get("/v1/channel/bills/327701000100100990", headers=bjb.auth)
        problem(unknown, 404)

    async def test_only_registered_active_channels_may_call(
        self, client: httpx.AsyncClient, tokens: Tokens, bjb: Channel
    ) -> None:
        path = f"/v1/channel/bills/{MELONG_NOP}"
        problem(await client.get(path, headers=tokens.machine("not-a-channel")), 403)
        problem(await client.get(path, headers=tokens.machine("bank-bjb-demo", scope="")), 403)
        problem(await client.get(path, headers=tokens.citizen()), 403)
        deactivated = await client.post("/v1/admin/channels/bjb/deactivate", headers=tokens.admin())
        assert deactivated.json()["active"] is False
        refused = problem(await client.get(path, headers=bjb.auth), 403)
        assert refused["type"].endswith("/channel-not-registered")


class TestPaymentCodes:
    async def test_a_code_freezes_the_exact_amount_of_all_unpaid_bills(
        self, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        inquiry = (await client.get(f"/v1/channel/bills/{MELONG_NOP}", headers=bjb.auth)).json()
        code = await new_code(client, bjb, MELONG_NOP)
        assert code["amount"] == inquiry["total_due"]
        assert sorted(b["tax_year"] for b in code["bills"]) == [2025, 2026]
        assert len(code["code"]) == 16
        assert code["code"].isdigit()
        assert code["payload"] is None
        assert code["kind"] == "bank"
        # 1 June: nothing changes before 1 August (discount) or the 2025 bill's next penalty
        # month (due 30 Sep 2025: month 9 ends on 30 June), so the code lives its full 24 hours.
        assert datetime.fromisoformat(code["expires_at"]) == NOW + timedelta(hours=24)

    async def test_a_code_for_chosen_years_and_refusals_naming_the_field(
        self, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP, [2026])
        assert [b["tax_year"] for b in code["bills"]] == [2026]
        response = await client.post(
            "/v1/channel/payment-codes",
            json={"nop": MELONG_NOP, "tax_years": [2026, 2024]},
            headers=bjb.auth,
        )
        assert error_fields(response) == {"tax_years"}
        bad_nop = await client.post(
            "/v1/channel/payment-codes", json={"nop": "3277"}, headers=bjb.auth
        )
        assert error_fields(bad_nop) == {"nop"}

    async def test_a_code_expires_when_the_amount_would_change(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        # 31 July 2026, 20:00 WIB: the 5% discount ends at midnight; the code ends with it.
        pin_clock(app, datetime(2026, 7, 31, 13, 0, tzinfo=UTC))
        code = await new_code(client, bjb, CIBABAT_NOP)
        assert datetime.fromisoformat(code["expires_at"]) == datetime(
            2026, 7, 31, 17, 0, tzinfo=UTC
        )

    async def test_a_qris_code_carries_an_emv_payload_with_its_amount_and_checksum(
        self, client: httpx.AsyncClient, tokens: Tokens, bjb: Channel
    ) -> None:
        qris = await register_channel(client, tokens, code="qris", kind="qris")
        code = await new_code(client, qris, CIBABAT_NOP)
        payload: str = code["payload"]
        assert payload.startswith("000201010212")
        assert f"54{len(str(code['amount'])):02d}{code['amount']}" in payload
        assert code["code"] in payload
        assert payload[-4:] == f"{crc16_ccitt(payload[:-4].encode()):04X}"

    async def test_a_channel_reads_its_code_open_paid_or_expired(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, bjb: Channel
    ) -> None:
        paid_code = await new_code(client, bjb, CIBABAT_NOP)
        open_code = await new_code(client, bjb, MELONG_NOP)
        assert open_code["status"] == "open"
        assert open_code["ntpd"] is None
        paid = await confirm(
            client, bjb, code=paid_code["code"], amount=paid_code["amount"], reference="ST"
        )
        read = await client.get(f"/v1/channel/payment-codes/{paid_code['code']}", headers=bjb.auth)
        assert read.json()["status"] == "paid"
        assert read.json()["ntpd"] == paid.json()["ntpd"]
        pin_clock(app, NOW + timedelta(days=2))
        late = await client.get(f"/v1/channel/payment-codes/{open_code['code']}", headers=bjb.auth)
        assert late.json()["status"] == "expired"
        pos = await register_channel(client, tokens, code="pos", kind="post")
        theirs = await client.get(
            f"/v1/channel/payment-codes/{open_code['code']}", headers=pos.auth
        )
        problem(theirs, 404)

    async def test_nothing_left_to_pay(self, client: httpx.AsyncClient, bjb: Channel) -> None:
        code = await new_code(client, bjb, CIBABAT_NOP)
        paid = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="R1")
        assert paid.status_code == 201, paid.text
        again = await client.post(
            "/v1/channel/payment-codes", json={"nop": CIBABAT_NOP}, headers=bjb.auth
        )
        assert error_fields(again) == {"nop"}

    async def test_a_citizen_gets_a_code_for_their_own_object_through_qris_or_va(
        self, client: httpx.AsyncClient, tokens: Tokens, session: Any, bjb: Channel
    ) -> None:
        await register_channel(client, tokens, code="qris", kind="qris")
        sub = "01JANI000000000000000000AA"
        await link(session, MELONG_NOP, sub)
        body = {"nop": MELONG_NOP, "tax_years": [2026], "channel": "qris"}
        mine = await client.post("/v1/me/payment-codes", json=body, headers=tokens.citizen(sub))
        assert mine.status_code == 201, mine.text
        assert mine.json()["payload"].startswith("000201")
        bank = await client.post(
            "/v1/me/payment-codes", json={**body, "channel": "bjb"}, headers=tokens.citizen(sub)
        )
        assert error_fields(bank) == {"channel"}
        stranger = await client.post("/v1/me/payment-codes", json=body, headers=tokens.citizen())
        problem(stranger, 404)


class TestConfirmation:
    async def test_an_exact_payment_marks_the_bills_paid_with_one_receipt(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any, bjb: Channel
    ) -> None:
        await link(session, MELONG_NOP, "01JANI000000000000000000AA")
        code = await new_code(client, bjb, MELONG_NOP)
        response = await confirm(
            client, bjb, code=code["code"], amount=code["amount"], reference="BJB-0001"
        )
        assert response.status_code == 201, response.text
        paid = response.json()
        assert paid["ntpd"] == "32772606010000001"
        assert paid["amount"] == code["amount"]
        assert paid["receipt_url"].endswith("/v1/public/receipts/" + paid["verification_code"])
        bills = await bills_of(app, MELONG_NOP)
        assert {b.status for b in bills} == {"paid"}
        assert sum(b.paid_amount or 0 for b in bills) == code["amount"]
        assert {b.receipt_ntpd for b in bills} == {paid["ntpd"]}
        # The channel's inquiry now shows nothing to pay.
        after = await client.get(f"/v1/channel/bills/{MELONG_NOP}", headers=bjb.auth)
        assert after.json()["bills"] == []

        events = await outboxed(app)
        received = [e for e in events if e["type"] == PAYMENT_RECEIVED]
        assert len(received) == 1
        data = received[0]["data"]
        assert data["ntpd"] == paid["ntpd"]
        assert data["amount"] == code["amount"]
        assert {b["tax_year"] for b in data["bills"]} == {2025, 2026}
        assert set(data) == {"ntpd", "channel", "amount", "paid_at", "bills"}
        lifecycle = [e["data"] for e in events if e["type"] == LIFECYCLE]
        assert len(lifecycle) == 1
        assert lifecycle[0]["tracking_no"] == "PBB-" + paid["ntpd"]
        assert lifecycle[0]["status"] == "completed"
        assert lifecycle[0]["request_kind"] == "payment.pbb"
        assert lifecycle[0]["area"] == "32.77.01.1001"
        assert lifecycle[0]["title"] == "Pembayaran PBB 2025, 2026 - 32.77.010.001.001-0001.0"
        for event in events:
            assert ANI_NIK not in str(event)
            assert "Ani" not in str(event)

    async def test_the_events_parse_with_the_cloudevents_sdk(
        self, app: FastAPI, client: httpx.AsyncClient, session: Any, bjb: Channel
    ) -> None:
        await link(session, MELONG_NOP, "01JANI000000000000000000AA")
        code = await new_code(client, bjb, MELONG_NOP)
        paid = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="CE")
        assert paid.status_code == 201
        events = await outboxed(app)
        assert sorted(e["type"] for e in events) == sorted([PAYMENT_RECEIVED, LIFECYCLE])
        for event in events:
            parsed = JSONFormat().read(None, json.dumps(event).encode())
            assert parsed.get_type() == event["type"]
            assert parsed.get_source() == "/epbb"
        received = next(e for e in events if e["type"] == PAYMENT_RECEIVED)
        assert received["subject"] == paid.json()["ntpd"]

    async def test_no_lifecycle_event_without_a_linked_account(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, CIBABAT_NOP)
        paid = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="R")
        assert paid.status_code == 201
        assert [e["type"] for e in await outboxed(app)] == [PAYMENT_RECEIVED]

    async def test_a_repeated_callback_is_one_payment_with_the_same_receipt(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP)
        first = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="X1")
        again = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="X1")
        assert first.status_code == 201
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        assert await count(app, Payment) == 1
        assert await count(app, Receipt) == 1
        assert len([e for e in await outboxed(app) if e["type"] == PAYMENT_RECEIVED]) == 1

    async def test_a_reference_reused_for_another_code_is_refused(
        self, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        one = await new_code(client, bjb, MELONG_NOP, [2025])
        two = await new_code(client, bjb, MELONG_NOP, [2026])
        assert (
            await confirm(client, bjb, code=one["code"], amount=one["amount"], reference="R")
        ).status_code == 201
        reused = await confirm(client, bjb, code=two["code"], amount=two["amount"], reference="R")
        assert problem(reused, 409)["type"].endswith("/channel-reference-reused")

    async def test_a_partial_amount_is_refused_and_changes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP)
        partial = await confirm(
            client, bjb, code=code["code"], amount=code["amount"] - 1, reference="P1"
        )
        assert error_fields(partial) == {"amount"}
        assert problem(partial, 422)["type"].endswith("/amount-mismatch")
        more = await confirm(
            client, bjb, code=code["code"], amount=code["amount"] + 1, reference="P2"
        )
        assert error_fields(more) == {"amount"}
        assert {b.status for b in await bills_of(app, MELONG_NOP)} == {"unpaid"}
        assert await count(app, Payment) == 0
        assert await count(app, CallbackReplay) == 0

    async def test_wrong_missing_and_old_signatures_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP)
        args = {"code": code["code"], "amount": code["amount"], "reference": "S1"}
        wrong = await confirm(
            client, bjb, **args, secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
        )
        assert problem(wrong, 401)["type"].endswith("/callback-signature-invalid")
        old = await confirm(client, bjb, **args, timestamp=NOW - timedelta(minutes=10))
        assert problem(old, 401)["type"].endswith("/callback-timestamp-invalid")
        future = await confirm(client, bjb, **args, timestamp=NOW + timedelta(minutes=10))
        assert problem(future, 401)["type"].endswith("/callback-timestamp-invalid")
        unsigned = await client.post(
            "/v1/channel/payments",
            json={
                "payment_code": code["code"],
                "amount": code["amount"],
                "channel_reference": "S1",
                "paid_at": NOW.isoformat(),
            },
            headers=bjb.auth,
        )
        assert problem(unsigned, 401)["type"].endswith("/callback-signature-missing")
        # A body altered after signing.
        signed = callback_body(code["code"], code["amount"], "S1")
        headers = signed_headers(
            bjb.secret, message_id="m1", timestamp=int(NOW.timestamp()), body=signed
        )
        tampered = await client.post(
            "/v1/channel/payments",
            content=callback_body(code["code"], 1, "S1"),
            headers={**bjb.auth, **headers, "Content-Type": "application/json"},
        )
        assert problem(tampered, 401)["type"].endswith("/callback-signature-invalid")
        assert {b.status for b in await bills_of(app, MELONG_NOP)} == {"unpaid"}
        assert await count(app, Payment) == 0

    async def test_a_rotated_secret_replaces_the_old_one(
        self, client: httpx.AsyncClient, tokens: Tokens, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP)
        rotated = await client.post("/v1/admin/channels/bjb/secret", headers=tokens.admin())
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != bjb.secret
        args = {"code": code["code"], "amount": code["amount"], "reference": "ROT"}
        problem(await confirm(client, bjb, **args), 401)
        assert (await confirm(client, bjb, **args, secret=new_secret)).status_code == 201

    async def test_a_replayed_webhook_id(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP)
        args = {"code": code["code"], "amount": code["amount"], "message_id": "msg-1"}
        first = await confirm(client, bjb, **args, reference="W1")
        assert first.status_code == 201
        # The same message delivered again: answered as the first time.
        same = await confirm(client, bjb, **args, reference="W1")
        assert same.status_code == 200
        assert same.json()["ntpd"] == first.json()["ntpd"]
        # The same id with another body (a captured signature header reused): refused.
        other = await confirm(client, bjb, **args, reference="W2")
        assert problem(other, 409)["type"].endswith("/callback-replayed")
        assert await count(app, Payment) == 1

    async def test_old_callback_ids_are_forgotten_once_they_cannot_be_replayed(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        first = await new_code(client, bjb, MELONG_NOP, [2025])
        second = await new_code(client, bjb, MELONG_NOP, [2026])
        paid = await confirm(
            client,
            bjb,
            code=first["code"],
            amount=first["amount"],
            reference="O1",
            message_id="old",
        )
        assert paid.status_code == 201
        later = NOW + timedelta(minutes=11)  # beyond twice the 5-minute tolerance
        pin_clock(app, later)
        stale = await confirm(
            client,
            bjb,
            code=first["code"],
            amount=first["amount"],
            reference="O1",
            message_id="old",
        )
        assert problem(stale, 401)["type"].endswith("/callback-timestamp-invalid")
        again = await confirm(
            client,
            bjb,
            code=second["code"],
            amount=second["amount"],
            reference="O2",
            message_id="new",
            timestamp=later,
        )
        assert again.status_code == 201, again.text
        async with app.state.runtime.session_factory() as s:
            kept = (await s.execute(select(CallbackReplay.message_id))).scalars().all()
        assert kept == ["new"]

    async def test_an_expired_code_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, MELONG_NOP)
        expiry = NOW + timedelta(hours=24)
        args = {"code": code["code"], "amount": code["amount"], "reference": "E1"}
        move = pin_clock(app, expiry)
        paid_late = await confirm(client, bjb, **args, timestamp=expiry, paid_at=expiry)
        assert problem(paid_late, 409)["type"].endswith("/payment-code-expired")
        # Paid in time, but reported more than the tolerance (5 minutes) after the expiry.
        reported_late = expiry + timedelta(minutes=5)
        move(reported_late)
        stale = await confirm(
            client, bjb, **args, timestamp=reported_late, paid_at=NOW + timedelta(hours=1)
        )
        assert problem(stale, 409)["type"].endswith("/payment-code-expired")
        assert {b.status for b in await bills_of(app, MELONG_NOP)} == {"unpaid"}

    async def test_a_code_expiring_at_the_end_of_the_discount_is_refused_after_midnight(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        evening = datetime(2026, 7, 31, 13, 0, tzinfo=UTC)  # 20:00 WIB, last discount day
        move = pin_clock(app, evening)
        code = await new_code(client, bjb, CIBABAT_NOP)
        midnight = datetime(2026, 7, 31, 17, 0, tzinfo=UTC)
        assert datetime.fromisoformat(code["expires_at"]) == midnight
        args = {"code": code["code"], "amount": code["amount"], "reference": "L"}
        move(midnight)
        late = await confirm(client, bjb, **args, timestamp=midnight, paid_at=midnight)
        assert problem(late, 409)["type"].endswith("/payment-code-expired")
        # Paid at 23:59:59 WIB, the callback arriving half a minute after midnight.
        just_after = midnight + timedelta(seconds=30)
        move(just_after)
        in_flight = await confirm(
            client, bjb, **args, timestamp=just_after, paid_at=midnight - timedelta(seconds=1)
        )
        assert in_flight.status_code == 201, in_flight.text
        (bill,) = await bills_of(app, CIBABAT_NOP)
        assert bill.paid_amount == code["amount"]  # the discounted amount quoted before midnight

    async def test_another_channels_code_and_unknown_codes_are_not_found(
        self, client: httpx.AsyncClient, tokens: Tokens, bjb: Channel
    ) -> None:
        pos = await register_channel(client, tokens, code="pos", kind="post")
        code = await new_code(client, bjb, MELONG_NOP)
        theirs = await confirm(client, pos, code=code["code"], amount=code["amount"], reference="O")
        assert problem(theirs, 404)["type"].endswith("/payment-code-unknown")
        unknown = await confirm(client, bjb, code="8327000000000000", amount=1, reference="U")
        problem(unknown, 404)

    async def test_a_bill_paid_through_another_code_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        both = await new_code(client, bjb, MELONG_NOP)
        only_2026 = await new_code(client, bjb, MELONG_NOP, [2026])
        assert (
            await confirm(
                client, bjb, code=only_2026["code"], amount=only_2026["amount"], reference="A"
            )
        ).status_code == 201
        late = await confirm(client, bjb, code=both["code"], amount=both["amount"], reference="B")
        assert problem(late, 409)["type"].endswith("/already-paid")
        bills = {b.tax_year: b for b in await bills_of(app, MELONG_NOP)}
        # The 2025 bill of the refused code was not touched (everything rolled back).
        assert bills[2025].status == "unpaid"
        assert bills[2025].paid_amount is None
        assert bills[2026].paid_amount == only_2026["amount"]
        assert await count(app, Payment) == 1
        again = await confirm(
            client, bjb, code=only_2026["code"], amount=only_2026["amount"], reference="C"
        )
        assert problem(again, 409)["type"].endswith("/already-paid")

    async def test_a_malformed_body_names_the_field(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        raw = b'{"payment_code": "1", "amount": 10, "channel_reference": "R", "paid_at": "x"}'
        response = await confirm(client, bjb, code="", amount=0, reference="", body=raw)
        assert error_fields(response) == {"payment_code", "paid_at"}
        code = await new_code(client, bjb, MELONG_NOP)
        tomorrow = callback_body(code["code"], code["amount"], "F1", NOW + timedelta(days=1))
        future = await confirm(client, bjb, code="", amount=0, reference="", body=tomorrow)
        assert error_fields(future) == {"paid_at"}
        assert await count(app, Payment) == 0

    async def test_a_bill_corrected_since_the_code_was_issued_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        code = await new_code(client, bjb, CIBABAT_NOP)
        async with app.state.runtime.session_factory() as s:
            bill = (await s.execute(select(Bill).where(Bill.nop == CIBABAT_NOP))).scalar_one()
            bill.status, bill.is_current = "superseded", False
            await s.commit()
        changed = await confirm(
            client, bjb, code=code["code"], amount=code["amount"], reference="K"
        )
        assert problem(changed, 409)["type"].endswith("/bill-changed")
        assert await count(app, Payment) == 0


class TestConcurrency:
    async def test_concurrent_confirmations_of_one_bill_through_two_codes_one_wins(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        one = await new_code(client, bjb, MELONG_NOP)
        two = await new_code(client, bjb, MELONG_NOP, [2026])
        responses = await asyncio.gather(
            confirm(client, bjb, code=one["code"], amount=one["amount"], reference="C1"),
            confirm(client, bjb, code=two["code"], amount=two["amount"], reference="C2"),
        )
        assert sorted(r.status_code for r in responses) == [201, 409]
        winner = next(r.json() for r in responses if r.status_code == 201)
        bills = await bills_of(app, MELONG_NOP)
        paid = [b for b in bills if b.status == "paid"]
        assert sum(b.paid_amount or 0 for b in paid) == winner["amount"]
        assert {b.receipt_ntpd for b in paid} == {winner["ntpd"]}
        assert await count(app, Payment) == 1

    async def test_one_reference_sent_at_once_for_two_objects_pays_only_one(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        melong = await new_code(client, bjb, MELONG_NOP)
        cibabat = await new_code(client, bjb, CIBABAT_NOP)
        responses = await asyncio.gather(
            *(
                confirm(client, bjb, code=c["code"], amount=c["amount"], reference="SAME")
                for c in (melong, cibabat) * 3
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(201) == 1
        winner = next(r.json() for r in responses if r.status_code == 201)
        for response in responses:
            if response.json().get("payment_code") == winner["payment_code"]:
                assert response.status_code in (200, 201)
                assert response.json()["ntpd"] == winner["ntpd"]
            else:
                assert problem(response, 409)["type"].endswith("/channel-reference-reused")
        assert await count(app, Payment) == 1
        loser = CIBABAT_NOP if winner["bills"][0]["nop"] == MELONG_NOP else MELONG_NOP
        assert {b.status for b in await bills_of(app, loser)} == {"unpaid"}

    async def test_two_sessions_confirming_one_bill_the_second_waits_and_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient, bjb: Channel
    ) -> None:
        """Two database connections: the first holds its bill update uncommitted while the
        second tries the same bill through another code; the second is refused once the first
        commits (PostgreSQL: it waits on the row lock; SQLite: on the write lock)."""
        one = await new_code(client, bjb, CIBABAT_NOP)
        two = await new_code(client, bjb, CIBABAT_NOP)
        factory = app.state.runtime.session_factory
        settings = app.state.runtime.settings

        async def attempt(session: Any, code: dict[str, Any], reference: str) -> Any:
            channel = await payments.calling_channel(session, _principal(bjb))
            body = callback_body(code["code"], code["amount"], reference)
            return await payments.confirm_payment(
                session,
                channel=channel,
                message=SignedMessage(message_id=reference, timestamp=0, body=body),
                data=PaymentConfirmation.model_validate_json(body),
                now=NOW,
                settings=settings,
            )

        async with factory() as first:
            won, created = await attempt(first, one, "FIRST")
            assert created

            async def second() -> Any:
                async with factory() as s, s.begin():
                    return await attempt(s, two, "SECOND")

            racing = asyncio.create_task(second())
            await first.commit()
            with pytest.raises(payments.AlreadyPaid):
                await racing
        assert await count(app, Payment) == 1
        (bill,) = await bills_of(app, CIBABAT_NOP)
        assert bill.receipt_ntpd == won.ntpd
        assert bill.paid_amount == one["amount"]

    async def test_money_is_conserved_under_a_burst_of_concurrent_and_duplicated_callbacks(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any, bjb: Channel
    ) -> None:
        pii = app.state.runtime.pii
        nops = [f"3277010001001{n:04d}0" for n in range(100, 108)]
        for nop in nops:
            obj = await add_object(session, pii, nop=nop, nik=None, name="Wajib Pajak")
            await add_bill(session, obj, tax_year=2026)
        await session.commit()
        nops += [CIBABAT_NOP, MELONG_NOP]  # 10 objects, 11 unpaid bills
        calls = []
        for i, nop in enumerate(nops):
            a = await new_code(client, bjb, nop)
            b = await new_code(client, bjb, nop)
            calls += [
                (a, f"A{i}"),  # the first try
                (a, f"A{i}"),  # the channel's retry
                (b, f"B{i}"),  # another code for the same bill(s)
                (a, f"D{i}"),  # the same code again under another reference
            ]
        responses = await asyncio.gather(
            *(
                confirm(client, bjb, code=c["code"], amount=c["amount"], reference=ref)
                for c, ref in calls
            )
        )
        statuses = [r.status_code for r in responses]
        assert statuses.count(201) == len(nops)
        assert set(statuses) <= {200, 201, 409}
        assert 500 not in statuses

        async with app.state.runtime.session_factory() as s:
            bills = list((await s.execute(select(Bill))).scalars())
            payments = list((await s.execute(select(Payment))).scalars())
            receipts = list((await s.execute(select(Receipt))).scalars())
            codes = list((await s.execute(select(PaymentCode))).scalars())
        assert all(b.status == "paid" for b in bills)
        assert len(payments) == len(receipts) == len(nops)
        paid_total = sum(b.paid_amount or 0 for b in bills)
        assert sum(r.amount for r in receipts) == paid_total == sum(p.amount for p in payments)
        assert sum(1 for c in codes if c.status == "paid") == len(nops)
        # Each bill carries the NTPD of the one receipt that lists it.
        listed = {(line["nop"], line["tax_year"]): r.ntpd for r in receipts for line in r.lines}
        assert {(b.nop, b.tax_year): b.receipt_ntpd for b in bills} == listed
        # NTPD serials of the day are gapless.
        assert sorted(int(r.ntpd[-7:]) for r in receipts) == list(range(1, len(nops) + 1))
        received = [e for e in await outboxed(app) if e["type"] == PAYMENT_RECEIVED]
        assert sum(e["data"]["amount"] for e in received) == paid_total
