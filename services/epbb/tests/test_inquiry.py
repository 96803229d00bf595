"""Bill inquiry: an object's bills priced on a day (discount, penalty, amnesty, paid, reduced),
one bill with its versions and explanation, officers' list, and the public look-up."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cimahi_epbb.bills.router import PUBLIC_LIMIT_EXTRA
from services.epbb.tests.conftest import CIBABAT, MELONG, Tokens, error_fields, problem
from services.epbb.tests.factories import CIBABAT_NOP, MELONG_NOP
from services.epbb.tests.test_objects_helpers import (
    ANI_2025_PRINCIPAL,
    ANI_2026_PRINCIPAL,
    ANI_SMALL_NOP,
    ANI_SUB,
    MELONG_DISPLAY,
    SITI_NOP,
    Scene,
    ani,
    assert_no_raw_nik,
    budi,
    link,
    mark_paid,
    scene,
    supersede,
)

__all__ = ["scene"]


def by_year(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {b["tax_year"]: b for b in body["bills"]}


async def bills_on(
    client: httpx.AsyncClient, headers: dict[str, str], on: str | None, nop: str = MELONG_NOP
) -> dict[str, Any]:
    params = {"on": on} if on else {}
    response = await client.get(f"/v1/objects/{nop}/bills", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestAmounts:
    """Ani's Melong object: 120 m2 land A05, 90 m2 building B03.

    2026 (due 31 Aug 2026; 10% off until 31 May, 5% until 31 Jul; 1%/month):
      NJOP 120 x 3,410,000 + 90 x 2,625,000 = 409,200,000 + 236,250,000 = 645,450,000;
      - NJOPTKP 15,000,000 = 630,450,000; x 0.8 x 0.0009 = 453,924 (principal).
    2025 (due 30 Sep 2025; no discounts; 1%/month; amnesty 1 Nov - 31 Dec 2026):
      120 x 3,100,000 + 90 x 2,500,000 = 597,000,000; - 10,000,000 = 587,000,000; x 0.001
      = 587,000 (principal).
    """

    async def test_before_the_due_date_the_early_discount_applies(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        body = await bills_on(client, tokens.admin(), "2026-05-31")
        b2026 = by_year(body)[2026]
        assert b2026["principal"] == ANI_2026_PRINCIPAL
        assert b2026["discount"] == 45_392  # 10% of 453,924 = 45,392.4
        assert (b2026["penalty_months"], b2026["penalty"]) == (0, 0)
        assert b2026["total_due"] == 408_532
        assert b2026["status"] == "unpaid"
        # 2025 on 31 May 2026: month 9 after 30 Sep 2025 runs from 31 May to 30 Jun 2026, so
        # 9 started months -> 9% of 587,000 = 52,830.
        b2025 = by_year(body)[2025]
        assert (b2025["penalty_months"], b2025["penalty"]) == (9, 52_830)
        assert b2025["status"] == "overdue"
        assert b2025["total_due"] == 639_830
        assert body["total_due"] == 408_532 + 639_830
        assert [b["tax_year"] for b in body["bills"]] == [2026, 2025]

    async def test_on_defaults_to_today_in_wib(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        body = await bills_on(client, tokens.admin(), None)
        assert body["on"] == "2026-06-01"
        assert by_year(body)[2026]["discount"] == 22_696  # 5% of 453,924 = 22,696.2
        assert by_year(body)[2026]["total_due"] == 431_228

    async def test_after_the_due_date_a_started_month_is_a_full_penalty_month(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        body = await bills_on(client, tokens.admin(), "2026-10-15")
        b2026 = by_year(body)[2026]
        # 31 Aug -> 30 Sep is month 1; 15 Oct is in month 2: 2% of 453,924 = 9,078.48.
        assert (b2026["discount"], b2026["penalty_months"], b2026["penalty"]) == (0, 2, 9_078)
        assert b2026["total_due"] == 463_002
        assert b2026["status"] == "overdue"

    async def test_in_the_amnesty_window_the_penalty_is_waived(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        b2025 = by_year(await bills_on(client, tokens.admin(), "2026-11-15"))[2025]
        # 14 started months (30 Oct 2026 < 15 Nov <= 30 Nov): 14% of 587,000 = 82,180, waived.
        assert (b2025["penalty_months"], b2025["penalty"]) == (14, 82_180)
        assert b2025["penalty_waived"] == 82_180
        assert b2025["total_due"] == ANI_2025_PRINCIPAL
        after = by_year(await bills_on(client, tokens.admin(), "2027-01-01"))[2025]
        assert after["penalty_waived"] == 0
        # 1 Jan 2027 is in month 16 (30 Dec 2026 < 1 Jan 2027 <= 30 Jan 2027): 16% = 93,920.
        assert after["total_due"] == ANI_2025_PRINCIPAL + 93_920

    async def test_a_small_bill_is_reduced_to_zero(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        body = await bills_on(client, tokens.admin(), "2026-06-01", nop=ANI_SMALL_NOP)
        [b2026] = body["bills"]
        assert (b2026["principal"], b2026["reduction"], b2026["reduction_reason"]) == (
            40_000,
            40_000,
            "policy",
        )
        assert (b2026["status"], b2026["total_due"], body["total_due"]) == ("reduced-to-zero", 0, 0)

    async def test_paid_bills_show_as_paid_with_their_receipt(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await mark_paid(app, scene.bills[MELONG_NOP, 2026], amount=431_228, ntpd="NTPD-TEST-1")
        body = await bills_on(client, tokens.admin(), "2026-06-02")
        paid = by_year(body)[2026]
        assert paid["status"] == "paid"
        assert (paid["paid_amount"], paid["receipt_ntpd"]) == (431_228, "NTPD-TEST-1")
        assert paid["paid_at"].startswith("2026-06-01")
        assert (paid["total_due"], paid["discount"]) == (0, 22_696)
        assert body["total_due"] == by_year(body)[2025]["total_due"]

    @pytest.mark.parametrize("on", ["2026-02-30", "tomorrow", "01-06-2026"])
    async def test_a_bad_date_is_a_422_naming_on(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene, on: str
    ) -> None:
        response = await client.get(
            f"/v1/objects/{MELONG_NOP}/bills", params={"on": on}, headers=tokens.admin()
        )
        assert error_fields(response) == {"on"}


class TestWhoSeesBills:
    async def test_the_owner_sees_their_bills_and_a_citizen_date(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        body = await bills_on(client, ani(tokens), "2026-07-31")
        assert by_year(body)[2026]["discount"] == 22_696

    async def test_another_citizen_gets_404(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await link(app, MELONG_NOP, ANI_SUB)
        problem(await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=budi(tokens)), 404)
        bill_id = scene.bills[MELONG_NOP, 2026]
        problem(await client.get(f"/v1/bills/{bill_id}", headers=budi(tokens)), 404)
        problem(await client.get(f"/v1/bills/{bill_id}/explanation", headers=budi(tokens)), 404)

    async def test_officers_of_another_area_get_404_and_other_agencies_403(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        cibabat = tokens.officer(CIBABAT)
        problem(await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=cibabat), 404)
        problem(
            await client.get(f"/v1/bills/{scene.bills[MELONG_NOP, 2026]}", headers=cibabat), 404
        )
        lakami = tokens.officer("32.77", agency="lakami")
        problem(await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=lakami), 403)
        ok = await client.get(f"/v1/objects/{MELONG_NOP}/bills", headers=tokens.officer(MELONG))
        assert ok.status_code == 200

    async def test_an_unknown_bill_id_is_404_and_a_malformed_one_422(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        problem(
            await client.get("/v1/bills/01JZZZZZZZZZZZZZZZZZZZZZZZ", headers=tokens.admin()), 404
        )
        assert error_fields(await client.get("/v1/bills/x", headers=tokens.admin())) == {"bill_id"}


class TestOneBill:
    async def test_a_bill_with_its_computation_explanation_and_versions(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        old_id = scene.bills[MELONG_NOP, 2026]
        new_id = await supersede(app, old_id, principal=400_000)
        await link(app, MELONG_NOP, ANI_SUB)
        response = await client.get(f"/v1/bills/{new_id}", headers=ani(tokens))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["version"], body["is_current"], body["reason"]) == (2, True, "objection")
        assert body["principal"] == 400_000
        assert body["total_due"] == 380_000  # 5% early discount of 400,000 on 1 June
        assert body["computation"]["land_njop"] == 409_200_000
        principal = next(x for x in body["explanation"] if x["key"] == "principal")
        assert principal["formula"] == "ditetapkan / decided (objection)"
        assert [(v["version"], v["status"]) for v in body["versions"]] == [
            (2, "unpaid"),
            (1, "superseded"),
        ]
        old = (await client.get(f"/v1/bills/{old_id}", headers=ani(tokens))).json()
        assert (old["status"], old["is_current"], old["total_due"]) == ("superseded", False, 0)
        assert old["versions"][1]["superseded_by_id"] == new_id
        # The object's inquiry prices only the current version.
        assert by_year(await bills_on(client, ani(tokens), None))[2026]["id"] == new_id

    async def test_the_explanation_endpoint_explains_line_by_line(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        bill_id = scene.bills[MELONG_NOP, 2026]
        response = await client.get(
            f"/v1/bills/{bill_id}/explanation", params={"on": "2026-10-15"}, headers=tokens.admin()
        )
        assert response.status_code == 200, response.text
        body = response.json()
        lines = {line["key"]: line for line in body["explanation"]}
        assert [line["key"] for line in body["explanation"]] == [
            "land_njop",
            "building_njop",
            "njop",
            "njoptkp",
            "taxable_njop",
            "computed_tax",
            "principal",
            "reduction",
            "discount",
            "penalty",
            "penalty_waived",
            "total",
        ]
        assert lines["land_njop"]["formula"] == "120 m2 x Rp3.410.000 (kelas A05)"
        assert lines["land_njop"]["amount"] == 409_200_000
        assert lines["building_njop"]["amount"] == 236_250_000
        assert lines["njoptkp"]["amount"] == -15_000_000
        assert lines["taxable_njop"]["amount"] == 630_450_000
        assert lines["computed_tax"]["formula"].startswith("tarif 0.0009 x NJOP% 0.8")
        assert lines["principal"]["amount"] == ANI_2026_PRINCIPAL
        assert lines["penalty"] == {
            "key": "penalty",
            "label": "Denda / late penalty",
            "formula": "2 bulan / months late",
            "amount": 9_078,
        }
        assert lines["total"]["amount"] == body["total_due"] == 463_002


class TestOfficersBillList:
    async def test_overdue_bills_of_the_area_by_year(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        response = await client.get(
            "/v1/bills", params={"status": "overdue"}, headers=tokens.officer("32.77.01")
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [(i["nop"], i["tax_year"]) for i in items] == [(MELONG_NOP, 2025), (SITI_NOP, 2025)]
        assert {i["status"] for i in items} == {"overdue"}
        assert items[0]["taxpayer_name"] == "Ani Lestari"
        assert_no_raw_nik(response)

    async def test_unpaid_paid_and_reduced_to_zero(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        await mark_paid(app, scene.bills[SITI_NOP, 2026], amount=431_228, ntpd="NTPD-TEST-2")
        headers = tokens.officer(MELONG)

        async def listed(**params: Any) -> list[tuple[str, int]]:
            response = await client.get("/v1/bills", params=params, headers=headers)
            assert response.status_code == 200, response.text
            return [(i["nop"], i["tax_year"]) for i in response.json()["items"]]

        assert await listed(status="unpaid", tax_year=2026) == [(MELONG_NOP, 2026)]
        assert await listed(status="paid") == [(SITI_NOP, 2026)]
        assert await listed(status="reduced-to-zero") == [(ANI_SMALL_NOP, 2026)]
        assert await listed(status="overdue", on="2026-09-01", tax_year=2026) == [
            (MELONG_NOP, 2026)
        ]
        assert await listed(kelurahan_code=CIBABAT) == []

    async def test_pages_follow_the_cursor(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        seen: list[tuple[str, int]] = []
        cursor = None
        for _ in range(10):
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/v1/bills", params=params, headers=tokens.admin())).json()
            seen += [(i["nop"], i["tax_year"]) for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(scene.bills, key=lambda k: (k[0], -k[1]))

    async def test_citizens_are_refused_and_bad_filters_named(
        self, client: httpx.AsyncClient, tokens: Tokens, scene: Scene
    ) -> None:
        problem(await client.get("/v1/bills", headers=ani(tokens)), 403)
        bad = await client.get(
            "/v1/bills", params={"status": "late", "tax_year": "x"}, headers=tokens.admin()
        )
        assert error_fields(bad) == {"status", "tax_year"}


class TestPublicInquiry:
    async def test_shows_the_years_due_with_the_name_masked_and_no_nik_or_address(
        self, client: httpx.AsyncClient, scene: Scene
    ) -> None:
        response = await client.get(f"/v1/public/bills/{MELONG_DISPLAY}")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        body = response.json()
        assert body["taxpayer_name_masked"] == "A** L******"
        assert (body["kelurahan_name"], body["kecamatan_name"]) == ("Melong", "Cimahi Selatan")
        assert [(b["tax_year"], b["status"], b["total_due"]) for b in body["bills"]] == [
            (2026, "unpaid", 431_228),
            (2025, "overdue", 639_830),
        ]
        assert body["total_due"] == 1_071_058
        assert "Ani Lestari" not in response.text
        assert "Jl. Contoh" not in response.text
        assert "3277********0001" not in response.text
        assert_no_raw_nik(response)

    async def test_a_bad_nop_is_a_422_naming_nop_and_an_unknown_one_404(
        self, client: httpx.AsyncClient, scene: Scene
    ) -> None:
        assert error_fields(await client.get("/v1/public/bills/32.77.010")) == {"nop"}
        problem(await client.get("/v1/public/bills/327701000100100990"), 404)

    async def test_inquiries_are_limited_per_address(
        self, app: FastAPI, client: httpx.AsyncClient, scene: Scene
    ) -> None:
        app.state.runtime.settings.public_inquiry_per_minute = 2  # EPBB_PUBLIC_INQUIRY_PER_MINUTE
        app.state.runtime.extras.pop(PUBLIC_LIMIT_EXTRA, None)
        one = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(2):
            assert (
                await client.get(f"/v1/public/bills/{CIBABAT_NOP}", headers=one)
            ).status_code == 200
        limited = await client.get(f"/v1/public/bills/{CIBABAT_NOP}", headers=one)
        problem(limited, 429)
        assert int(limited.headers["Retry-After"]) >= 1
        other = {"X-Forwarded-For": "203.0.113.7, 198.51.100.9"}
        assert (
            await client.get(f"/v1/public/bills/{CIBABAT_NOP}", headers=other)
        ).status_code == 200
