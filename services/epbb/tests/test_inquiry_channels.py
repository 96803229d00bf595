"""One amount for everyone: the taxpayer, the public and a payment channel see the same totals on
the same day, and a bill paid through a channel shows as paid with its receipt everywhere."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from services.epbb.tests.conftest import Tokens
from services.epbb.tests.factories import MELONG_NOP
from services.epbb.tests.test_objects_helpers import ANI_SUB, Scene, ani, link, scene
from services.epbb.tests.test_payments_helpers import confirm, new_code, register_channel

__all__ = ["scene"]


def totals(bills: list[dict[str, Any]], key: str) -> dict[int, int]:
    return {b["tax_year"]: b[key] for b in bills}


class TestSameAmounts:
    async def test_taxpayer_public_and_channel_see_the_same_totals(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        bjb = await register_channel(client, tokens)
        mine = (await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=ani(tokens))).json()
        public = (await client.get(f"/v1/public/bills/{MELONG_NOP}")).json()
        channel = (await client.get(f"/v1/channel/bills/{MELONG_NOP}", headers=bjb.auth)).json()
        assert totals(mine["bills"], "total_due") == totals(public["bills"], "total_due")
        assert totals(mine["bills"], "total_due") == totals(channel["bills"], "total")
        assert mine["total_due"] == public["total_due"] == channel["total_due"] == 1_071_058

    async def test_a_bill_paid_through_a_channel_is_paid_everywhere(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        bjb = await register_channel(client, tokens)
        code = await new_code(client, bjb, MELONG_NOP, [2026])
        paid = await confirm(
            client, bjb, code=code["code"], amount=code["amount"], reference="BJB-REF-0001"
        )
        assert paid.status_code in (200, 201), paid.text
        ntpd = paid.json()["ntpd"]

        mine = (await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=ani(tokens))).json()
        b2026 = next(b for b in mine["bills"] if b["tax_year"] == 2026)
        assert (b2026["status"], b2026["receipt_ntpd"]) == ("paid", ntpd)
        assert b2026["paid_amount"] == code["amount"] == 431_228
        assert (b2026["discount"], b2026["total_due"]) == (22_696, 0)
        assert mine["total_due"] == 639_830  # 2025 only
        public = (await client.get(f"/v1/public/bills/{MELONG_NOP}")).json()
        assert totals(public["bills"], "status") == {2026: "paid", 2025: "overdue"}
        own = (await client.get("/v1/me/objects", headers=ani(tokens))).json()
        assert (own["items"][0]["unpaid_years"], own["total_due"]) == (1, 639_830)
        detail = (await client.get(f"/v1/bills/{b2026['id']}", headers=ani(tokens))).json()
        assert detail["status"] == "paid"
        lines = {line["key"]: line for line in detail["explanation"]}
        assert (lines["discount"]["amount"], lines["total"]["amount"]) == (-22_696, 431_228)
        assert lines["total"]["label"] == "Dibayar 2026-06-01 / paid"
