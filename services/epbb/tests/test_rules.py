"""Tax-year rules: public reading, admin versions, validation naming the field, and a new
version leaving existing bills alone."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from cimahi_epbb.bills.generation import generate_bills
from cimahi_epbb.models import Bill, TaxYearRulesVersion
from services.epbb.tests.conftest import Tokens, error_fields, problem
from services.epbb.tests.factories import NOW, add_bill, add_object, load_rules

RULES_URL = "/v1/admin/tax-years/{year}/rules"


def packaged(year: int) -> dict[str, Any]:
    text = (resources.files("cimahi_epbb.rules") / "data" / f"{year}.json").read_text("utf-8")
    body: dict[str, Any] = json.loads(text)
    return body


def new_version(year: int = 2026, **changes: Any) -> dict[str, Any]:
    return {**packaged(year), "note": "Perwal Cimahi No. 12 Tahun 2026", **changes}


class TestReading:
    async def test_years_with_the_version_in_force(
        self, client: httpx.AsyncClient, session: Any
    ) -> None:
        await load_rules(session)
        await session.commit()
        response = await client.get("/v1/public/tax-years")  # public: no token
        assert response.status_code == 200, response.text
        assert response.json() == [
            {"tax_year": 2026, "version": 1, "due_date": "2026-08-31", "versions": 1},
            {"tax_year": 2025, "version": 1, "due_date": "2025-09-30", "versions": 1},
        ]

    async def test_rules_of_a_year_with_their_versions(
        self, client: httpx.AsyncClient, session: Any
    ) -> None:
        await load_rules(session)
        await session.commit()
        body = (await client.get("/v1/public/tax-years/2025/rules")).json()
        assert body["version"] == 1
        assert body["rules"]["njoptkp"] == 10_000_000
        assert body["rules"]["tariff"][0] == {"up_to": 1_000_000_000, "rate": "0.001"}
        assert [(v["version"], v["note"]) for v in body["versions"]] == [(1, "Packaged rules")]

    async def test_unknown_year_is_404(self, client: httpx.AsyncClient) -> None:
        problem(await client.get("/v1/public/tax-years/2031/rules"), 404)
        assert (await client.get("/v1/public/tax-years")).json() == []

    async def test_year_out_of_range_is_422(
        self, client: httpx.AsyncClient, tokens: Tokens
    ) -> None:
        # Found by schemathesis (issue 9): a year beyond the database's integer was a 500.
        huge = "3701319947304685047156817409611923456"
        assert error_fields(await client.get(f"/v1/public/tax-years/{huge}/rules")) == {"year"}
        assert error_fields(await client.get("/v1/public/tax-years/1999/rules")) == {"year"}
        response = await client.post(
            RULES_URL.format(year=huge), json=new_version(), headers=tokens.admin()
        )
        assert "year" in error_fields(response)


class TestNewVersion:
    async def test_admin_adds_a_version_in_force(
        self, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        await load_rules(session)
        await session.commit()
        body = new_version(njoptkp=20_000_000)
        response = await client.post(RULES_URL.format(year=2026), json=body, headers=tokens.admin())
        assert response.status_code == 201, response.text
        created = response.json()
        assert (created["version"], created["note"]) == (2, "Perwal Cimahi No. 12 Tahun 2026")
        assert created["rules"]["njoptkp"] == 20_000_000
        current = (await client.get("/v1/public/tax-years/2026/rules")).json()
        assert current["version"] == 2
        assert current["rules"]["njoptkp"] == 20_000_000
        assert [v["version"] for v in current["versions"]] == [1, 2]
        years = (await client.get("/v1/public/tax-years")).json()
        assert years[0] == {"tax_year": 2026, "version": 2, "due_date": "2026-08-31", "versions": 2}
        # The past year keeps its rules.
        assert (await client.get("/v1/public/tax-years/2025/rules")).json()["version"] == 1

    async def test_existing_bills_keep_their_principal(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        await load_rules(session)
        obj = await add_object(session, app.state.runtime.pii)
        bill = await add_bill(session, obj)
        await session.commit()
        assert bill.principal == 453_924
        changed = new_version(
            njoptkp=20_000_000, tariff=[{"up_to": None, "rate": "0.002"}], njop_percent="1"
        )
        response = await client.post(
            RULES_URL.format(year=2026), json=changed, headers=tokens.admin()
        )
        assert response.status_code == 201, response.text
        # A bill run after the change creates nothing for the billed object...
        result = await generate_bills(app.state.runtime.session_factory, tax_year=2026, now=NOW)
        assert (result.created, result.existing, result.rules_version) == (0, 1, 2)
        async with app.state.runtime.session_factory() as fresh:
            stored = (await fresh.execute(select(Bill).where(Bill.nop == obj.nop))).scalar_one()
        # ... and the bill still has its principal and the version it was assessed with.
        assert (stored.principal, stored.rules_version) == (453_924, 1)
        assert stored.computation["njoptkp"] == 15_000_000

    async def test_only_admins(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        url = RULES_URL.format(year=2026)
        problem(await client.post(url, json=new_version()), 401)
        problem(await client.post(url, json=new_version(), headers=tokens.citizen()), 403)
        problem(await client.post(url, json=new_version(), headers=tokens.officer()), 403)
        problem(await client.post(url, json=new_version(), headers=tokens.head()), 403)

    async def test_year_in_path_must_be_the_body_year(
        self, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        await load_rules(session)
        await session.commit()
        response = await client.post(
            RULES_URL.format(year=2025), json=new_version(2026), headers=tokens.admin()
        )
        assert error_fields(response) == {"tax_year"}
        assert (await client.get("/v1/public/tax-years/2025/rules")).json()["version"] == 1

    async def test_invalid_rules_name_the_field(
        self, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        url = RULES_URL.format(year=2026)
        cases: list[tuple[dict[str, Any], str]] = [
            (new_version(due_date="2027-01-31"), "due_date"),
            (new_version(tariff=[{"up_to": 1000, "rate": "0.001"}]), "tariff"),
            (
                new_version(
                    tariff=[
                        {"up_to": 5000, "rate": "0.001"},
                        {"up_to": 1000, "rate": "0.002"},
                        {"up_to": None, "rate": "0.003"},
                    ]
                ),
                "tariff",
            ),
            (new_version(tariff=[{"up_to": None, "rate": "0.01"}]), "tariff.0.rate"),
            (new_version(tariff=[]), "tariff"),
            (new_version(njop_percent="0.1"), "njop_percent"),
            (
                new_version(early_discounts=[{"until": "2026-09-15", "percent": "5"}]),
                "early_discounts",
            ),
            (
                new_version(
                    reductions=[
                        {"max_principal": 50000, "percent": "100"},
                        {"max_principal": 50000, "percent": "50"},
                    ]
                ),
                "reductions",
            ),
            (new_version(land_classes={"A01": 0}), "land_classes"),
            (new_version(note=""), "note"),
            ({k: v for k, v in new_version().items() if k != "note"}, "note"),
            (new_version(surprise=1), "surprise"),
        ]
        for body, field in cases:
            response = await client.post(url, json=body, headers=tokens.admin())
            assert field in error_fields(response), (field, response.text)
        rows = (await session.execute(select(TaxYearRulesVersion))).scalars().all()
        assert rows == []  # nothing half-written

    async def test_a_retried_post_adds_one_version(
        self, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        await load_rules(session)
        await session.commit()
        headers = {**tokens.admin(), "Idempotency-Key": "rules-2026-perwal-12"}
        first = await client.post(RULES_URL.format(year=2026), json=new_version(), headers=headers)
        again = await client.post(RULES_URL.format(year=2026), json=new_version(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        versions = (await client.get("/v1/public/tax-years/2026/rules")).json()["versions"]
        assert [v["version"] for v in versions] == [1, 2]
