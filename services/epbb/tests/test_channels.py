"""Payment channels: registration (secret shown once, kept encrypted), listing, rotation,
deactivation, who may manage them; Idempotency-Key on payment codes; the demo channels."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text

from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import PaymentChannel, PaymentCode
from cimahi_epbb.payments.demo import DEMO_CHANNELS, seed_demo_channels
from services.epbb.tests.conftest import Tokens, error_fields, problem
from services.epbb.tests.factories import MELONG_NOP, NOW, add_bill, add_object, load_rules
from services.epbb.tests.test_payments_helpers import (
    Channel,
    confirm,
    new_code,
    pin_clock,
    register_channel,
)

BJB = {"code": "bjb", "name": "Bank BJB", "kind": "bank", "client_id": "bank-bjb"}


class TestChannelAdministration:
    async def test_a_channel_is_registered_with_a_secret_shown_once(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        created = await client.post("/v1/admin/channels", json=BJB, headers=tokens.admin())
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")
        listed = await client.get("/v1/admin/channels", headers=tokens.admin())
        assert listed.json()["items"] == [
            {k: v for k, v in created.json().items() if k != "secret"}
        ]
        assert secret not in listed.text
        async with app.state.runtime.session_factory() as s:
            stored = (await s.execute(select(PaymentChannel))).scalar_one()
        assert secret not in stored.secret_encrypted
        assert app.state.runtime.pii.decrypt(stored.secret_encrypted) == secret

    async def test_duplicates_and_bad_fields_are_refused(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        admin = tokens.admin()
        assert (await client.post("/v1/admin/channels", json=BJB, headers=admin)).status_code == 201
        same_code = await client.post(
            "/v1/admin/channels", json={**BJB, "client_id": "other"}, headers=admin
        )
        assert problem(same_code, 409)["type"].endswith("/channel-exists")
        same_client = await client.post(
            "/v1/admin/channels", json={**BJB, "code": "bjb2"}, headers=admin
        )
        problem(same_client, 409)
        bad = await client.post(
            "/v1/admin/channels", json={**BJB, "code": "B J B", "kind": "cash"}, headers=admin
        )
        assert error_fields(bad) == {"code", "kind"}

    async def test_only_admins_manage_channels(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        for headers in (tokens.officer(), tokens.citizen(), tokens.machine("bank-bjb")):
            problem(await client.post("/v1/admin/channels", json=BJB, headers=headers), 403)
            problem(await client.get("/v1/admin/channels", headers=headers), 403)
        problem(await client.post("/v1/admin/channels/nope/secret", headers=tokens.admin()), 404)
        problem(
            await client.post("/v1/admin/channels/nope/deactivate", headers=tokens.admin()), 404
        )

    async def test_a_deactivated_channel_can_be_activated_again(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        channel = await register_channel(client, tokens, code="pos", kind="post")
        path = f"/v1/channel/bills/{MELONG_NOP}"
        await client.post("/v1/admin/channels/pos/deactivate", headers=tokens.admin())
        problem(await client.get(path, headers=channel.auth), 403)
        activated = await client.post("/v1/admin/channels/pos/activate", headers=tokens.admin())
        assert activated.json()["active"] is True
        assert (await client.get(path, headers=channel.auth)).status_code == 404  # no object


class TestIdempotency:
    async def test_secret_answers_refuse_an_idempotency_key(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        # A stored replay would keep the HMAC secret in clear text: refused, nothing created.
        headers = {**tokens.admin(), "Idempotency-Key": "chan-1"}
        refused = await client.post("/v1/admin/channels", json=BJB, headers=headers)
        assert error_fields(refused) == {"Idempotency-Key"}
        async with app.state.runtime.session_factory() as s:
            count = select(func.count()).select_from(PaymentChannel)
            assert (await s.execute(count)).scalar_one() == 0
        await client.post("/v1/admin/channels", json=BJB, headers=tokens.admin())
        rotate = await client.post(
            "/v1/admin/channels/bjb/secret",
            headers={**tokens.admin(), "Idempotency-Key": "rotate-1"},
        )
        assert error_fields(rotate) == {"Idempotency-Key"}
        async with app.state.runtime.session_factory() as s:
            stored = (await s.execute(text("SELECT response_body FROM idempotency_keys"))).all()
        assert all(b"whsec_" not in bytes(row[0] or b"") for row in stored)

    async def test_a_retried_payment_code_request_is_one_code(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        pin_clock(app, NOW)
        await load_rules(session)
        await add_bill(session, await add_object(session, app.state.runtime.pii))
        await session.commit()
        bjb = await register_channel(client, tokens, code="bjb")
        headers = {**bjb.auth, "Idempotency-Key": "code-req-1"}
        body = {"nop": MELONG_NOP}
        first = await client.post("/v1/channel/payment-codes", json=body, headers=headers)
        again = await client.post("/v1/channel/payment-codes", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        other = await client.post(
            "/v1/channel/payment-codes",
            json={"nop": MELONG_NOP, "tax_years": [2026]},
            headers=headers,
        )
        problem(other, 422)
        async with app.state.runtime.session_factory() as s:
            codes = (await s.execute(select(func.count()).select_from(PaymentCode))).scalar_one()
        assert codes == 1


class TestDemoChannels:
    async def test_the_demo_channels_are_seeded_once_with_their_fixed_secrets(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        settings: EpbbSettings,
        session: Any,
    ) -> None:
        assert await seed_demo_channels(settings) == 3
        assert await seed_demo_channels(settings) == 0
        listed = (await client.get("/v1/admin/channels", headers=tokens.admin())).json()["items"]
        assert {(c["code"], c["client_id"]) for c in listed} == {
            ("bjb", "bank-bjb-demo"),
            ("qris", "qris-demo"),
            ("pos", "pos-demo"),
        }
        pin_clock(app, NOW)
        await load_rules(session)
        await add_bill(session, await add_object(session, app.state.runtime.pii))
        await session.commit()
        data, secret = DEMO_CHANNELS[0]
        bjb = Channel(data.code, data.client_id, secret, tokens.machine(data.client_id))
        code = await new_code(client, bjb, MELONG_NOP)
        paid = await confirm(client, bjb, code=code["code"], amount=code["amount"], reference="D1")
        assert paid.status_code == 201, paid.text
