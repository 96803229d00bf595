"""Bill generation (SPPT): one bill per active object, idempotent, NJOPTKP once per taxpayer,
unknown value classes skipped, one outbox event per run, the admin endpoint."""

from __future__ import annotations

import asyncio
from datetime import date
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cimahi_epbb.bills.formula import ObjectFacts, assess
from cimahi_epbb.bills.generation import GENERATED_V1, generate_bills, njoptkp_recipients
from cimahi_epbb.config import EpbbSettings
from cimahi_epbb.models import Bill
from cimahi_epbb.rules.service import packaged_rules, rules_for
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_shared.errors import NotFound
from cimahi_shared.events.envelope import CloudEvent
from cimahi_shared.events.tables import outbox
from services.epbb.tests.conftest import Tokens, error_fields, problem
from services.epbb.tests.factories import (
    ANI_NIK,
    BUDI_NIK,
    CIBABAT,
    CIBABAT_NOP,
    MELONG,
    MELONG_NOP,
    NOW,
    add_object,
    load_rules,
)

R2026 = {r.tax_year: r for r in packaged_rules(EpbbSettings())}[2026]
# Two more NOPs of Melong (block 001, serials 2 and 3).
MELONG_2 = "327701000100100020"
MELONG_3 = "327701000100100030"


async def bills(app: FastAPI, tax_year: int = 2026) -> dict[str, Bill]:
    async with app.state.runtime.session_factory() as s:
        rows = await s.execute(select(Bill).where(Bill.tax_year == tax_year))
        return {b.nop: b for b in rows.scalars()}


async def events(app: FastAPI) -> list[CloudEvent]:
    async with app.state.runtime.session_factory() as s:
        rows = await s.execute(select(outbox.c.payload).order_by(outbox.c.created_at))
        return [CloudEvent.from_json(p) for p in rows.scalars()]


async def run(app: FastAPI, tax_year: int = 2026) -> Any:
    return await generate_bills(app.state.runtime.session_factory, tax_year=tax_year, now=NOW)


class TestGenerate:
    async def test_one_bill_per_active_object(self, app: FastAPI, session: Any) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii)
        await add_object(session, pii, nop=CIBABAT_NOP, kelurahan_code=CIBABAT, nik=BUDI_NIK)
        retired = await add_object(session, pii, nop=MELONG_2, nik=None, name="Tanah Negara")
        retired.status = "retired"
        await session.commit()

        progress: list[tuple[int, int]] = []
        result = await generate_bills(
            app.state.runtime.session_factory,
            tax_year=2026,
            now=NOW,
            progress=lambda done, total: progress.append((done, total)),
        )
        # Ani's house: Rp453,924 (see test_formula); Budi's, the same facts: Rp453,924.
        assert (result.created, result.existing, result.skipped) == (2, 0, 0)
        assert result.total_principal == 2 * 453_924
        assert progress[0] == (0, 2)
        assert progress[-1] == (2, 2)
        made = await bills(app)
        assert set(made) == {MELONG_NOP, CIBABAT_NOP}
        bill = made[MELONG_NOP]
        assert (bill.version, bill.is_current, bill.status, bill.reason) == (
            1,
            True,
            "unpaid",
            "generated",
        )
        assert bill.sppt_number == f"2026.{MELONG_NOP}.1"
        assert (bill.kelurahan_code, bill.due_date, bill.rules_version) == (
            MELONG,
            date(2026, 8, 31),
            1,
        )
        assert (bill.principal, bill.granted_reduction, bill.paid_breakdown) == (453_924, 0, None)
        assert bill.issued_at == NOW
        expected = assess(
            ObjectFacts(120, 90, "A05", "B03"),
            (await rules_for(session, 2026)).rules,
            njoptkp_applies=True,
        ).as_json()
        assert bill.computation == {**expected, "rules_version": 1}

    async def test_a_second_run_creates_nothing(self, app: FastAPI, session: Any) -> None:
        await load_rules(session)
        await add_object(session, app.state.runtime.pii)
        await session.commit()
        first = await run(app)
        second = await run(app)
        assert (first.created, second.created, second.existing) == (1, 0, 1)
        assert second.total_principal == 0
        # A new object is billed by the next run; the others are left alone.
        await add_object(session, app.state.runtime.pii, nop=MELONG_2, nik=None)
        await session.commit()
        third = await run(app)
        assert (third.created, third.existing) == (1, 1)
        assert len(await bills(app)) == 2

    async def test_concurrent_runs_make_no_duplicates(
        self, app: FastAPI, session: Any, settings: Any
    ) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        for serial in range(1, 41):
            nop = f"32770100010010{serial:03d}0"
            await add_object(session, pii, nop=nop, nik=None)
        await session.commit()
        # Two engines: two processes running `generate` at the same time.
        engines = [create_engine(settings.database_url, pool_size=2) for _ in range(2)]
        try:
            results = await asyncio.gather(
                *(
                    generate_bills(create_session_factory(e), tax_year=2026, now=NOW)
                    for e in engines
                )
            )
        finally:
            for engine in engines:
                await engine.dispose()
        assert sum(r.created for r in results) == 40
        # Runs of one year are serialized (advisory lock / BEGIN IMMEDIATE): the later one finds
        # every bill there.
        assert sorted((r.created, r.existing) for r in results) == [(0, 40), (40, 0)]
        assert len(await bills(app)) == 40
        generated = [e for e in await events(app) if e.type == GENERATED_V1]
        assert sum(e.data["created"] for e in generated) == 40

    async def test_years_are_independent(self, app: FastAPI, session: Any) -> None:
        await load_rules(session)
        await add_object(session, app.state.runtime.pii)
        await session.commit()
        r2025, r2026 = await run(app, 2025), await run(app, 2026)
        # 2025: Rp587,000 (see test_formula); 2026: Rp453,924.
        assert (r2025.total_principal, r2026.total_principal) == (587_000, 453_924)
        assert (await bills(app, 2025))[MELONG_NOP].due_date == date(2025, 9, 30)

    async def test_a_year_without_rules_is_not_found(self, app: FastAPI) -> None:
        with pytest.raises(NotFound):
            await run(app, 2031)


class TestNjoptkp:
    async def test_once_per_taxpayer_on_the_highest_njop(self, app: FastAPI, session: Any) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        # Ani: a small plot (lowest NOP) and her house (highest NJOP) in Melong.
        await add_object(session, pii, nop=MELONG_NOP, land_area=60, building_area=0)
        await add_object(session, pii, nop=MELONG_2)
        # Budi: one object, his own NJOPTKP.
        await add_object(session, pii, nop=CIBABAT_NOP, kelurahan_code=CIBABAT, nik=BUDI_NIK)
        await session.commit()
        await run(app)
        made = await bills(app)
        assert made[MELONG_2].computation["njoptkp"] == 15_000_000
        assert made[MELONG_NOP].computation["njoptkp"] == 0
        assert made[CIBABAT_NOP].computation["njoptkp"] == 15_000_000
        # Plot without NJOPTKP: 60 x Rp3,410,000 = 204,600,000 x 80% x 0.09% = Rp147,312.
        assert made[MELONG_NOP].principal == 147_312
        assert made[MELONG_2].principal == 453_924

    async def test_ties_go_to_the_lowest_nop(self, app: FastAPI, session: Any) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii, nop=MELONG_3)
        await add_object(session, pii, nop=MELONG_2)
        await session.commit()
        await run(app)
        made = await bills(app)
        assert (made[MELONG_2].computation["njoptkp"], made[MELONG_3].computation["njoptkp"]) == (
            15_000_000,
            0,
        )

    async def test_objects_without_a_nik_each_get_it(self, app: FastAPI, session: Any) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii, nop=MELONG_2, nik=None, name="Tuti")
        await add_object(session, pii, nop=MELONG_3, nik=None, name="Tuti")
        await session.commit()
        await run(app)
        assert {b.computation["njoptkp"] for b in (await bills(app)).values()} == {15_000_000}

    async def test_a_later_run_does_not_give_it_twice(self, app: FastAPI, session: Any) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii, nop=MELONG_2)
        await session.commit()
        await run(app)
        # Ani's second, smaller object is registered later: she already has her NJOPTKP.
        await add_object(session, pii, nop=MELONG_3, land_area=60, building_area=0)
        await session.commit()
        await run(app)
        assert (await bills(app))[MELONG_3].computation["njoptkp"] == 0

    async def test_unknown_classes_are_skipped_and_do_not_take_it(
        self, app: FastAPI, session: Any
    ) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii, nop=MELONG_2, land_area=5000, land_class="Z99")
        await add_object(session, pii, nop=MELONG_3, building_class="B99")
        await add_object(session, pii, nop=MELONG_NOP)
        await session.commit()
        result = await run(app)
        assert (result.created, result.skipped) == (1, 2)
        made = await bills(app)
        assert set(made) == {MELONG_NOP}
        assert made[MELONG_NOP].computation["njoptkp"] == 15_000_000


class TestEvent:
    async def test_one_event_per_run_without_personal_data(
        self, app: FastAPI, session: Any
    ) -> None:
        pii = app.state.runtime.pii
        await load_rules(session)
        await add_object(session, pii)
        await add_object(session, pii, nop=CIBABAT_NOP, kelurahan_code=CIBABAT, nik=BUDI_NIK)
        await session.commit()
        await run(app)
        await run(app)  # nothing new: no event
        generated = [e for e in await events(app) if e.type == GENERATED_V1]
        assert len(generated) == 1
        event = generated[0]
        assert event.type == "id.go.cimahikota.epbb.bills.generated.v1"
        assert (event.source, event.subject, event.time) == ("/epbb", "2026", NOW)
        assert event.data == {
            "tax_year": 2026,
            "rules_version": 1,
            "created": 2,
            "total_principal": 907_848,
        }
        raw = event.to_json().decode()
        for secret in (ANI_NIK, BUDI_NIK, "Ani Lestari", MELONG_NOP):
            assert secret not in raw


class TestEndpoint:
    async def test_admin_runs_a_year(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        await load_rules(session)
        await add_object(session, app.state.runtime.pii)
        await session.commit()
        response = await client.post(
            "/v1/admin/bill-runs", json={"tax_year": 2026}, headers=tokens.admin()
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert {k: body[k] for k in ("tax_year", "created", "existing", "skipped")} == {
            "tax_year": 2026,
            "created": 1,
            "existing": 0,
            "skipped": 0,
        }
        assert (body["total_principal"], body["rules_version"]) == (453_924, 1)
        again = await client.post(
            "/v1/admin/bill-runs", json={"tax_year": 2026}, headers=tokens.admin()
        )
        assert (again.status_code, again.json()["created"], again.json()["existing"]) == (
            201,
            0,
            1,
        )

    async def test_refusals(self, client: httpx.AsyncClient, tokens: Tokens) -> None:
        url = "/v1/admin/bill-runs"
        problem(await client.post(url, json={"tax_year": 2026}), 401)
        problem(await client.post(url, json={"tax_year": 2026}, headers=tokens.citizen()), 403)
        problem(await client.post(url, json={"tax_year": 2026}, headers=tokens.head()), 403)
        problem(await client.post(url, json={"tax_year": 2031}, headers=tokens.admin()), 404)
        bad = await client.post(url, json={"tax_year": "next"}, headers=tokens.admin())
        assert error_fields(bad) == {"tax_year"}

    async def test_a_retried_run_is_replayed(
        self, app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
    ) -> None:
        await load_rules(session)
        await add_object(session, app.state.runtime.pii)
        await session.commit()
        headers = {**tokens.admin(), "Idempotency-Key": "bill-run-2026"}
        first = await client.post("/v1/admin/bill-runs", json={"tax_year": 2026}, headers=headers)
        again = await client.post("/v1/admin/bill-runs", json={"tax_year": 2026}, headers=headers)
        assert first.json() == again.json()
        assert again.json()["created"] == 1  # the stored answer, not a second run's
        async with app.state.runtime.session_factory() as s:
            assert (await s.execute(select(func.count()).select_from(Bill))).scalar_one() == 1


class TestRecipientsProperty:
    """``njoptkp_recipients`` on random portfolios (pure, no database)."""

    @hypothesis_settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["a", "b", "c", None]),  # taxpayer (None: no NIK)
                st.integers(1, 400),  # land area
                st.sampled_from(["A01", "A05", "A10", "Z99"]),  # Z99: unknown class
            ),
            max_size=25,
        )
    )
    def test_one_per_taxpayer_on_the_highest_njop(
        self, portfolio: list[tuple[str | None, int, str]]
    ) -> None:
        rules = R2026
        rows = [
            SimpleNamespace(
                nop=f"32770100010010{i:03d}0",
                land_area=area,
                building_area=0,
                land_class=land_class,
                building_class=None,
                taxpayer_nik_hash=owner,
            )
            for i, (owner, area, land_class) in enumerate(portfolio, start=1)
        ]
        chosen = njoptkp_recipients(rows, rules)  # type: ignore[arg-type]
        known = [r for r in rows if r.land_class in rules.land_classes]
        assert chosen <= {r.nop for r in known}
        for owner in {r.taxpayer_nik_hash for r in known if r.taxpayer_nik_hash}:
            mine = [r for r in known if r.taxpayer_nik_hash == owner]
            winners = [r for r in mine if r.nop in chosen]
            assert len(winners) == 1
            best = max(r.land_area * rules.land_classes[r.land_class] for r in mine)
            first_best = min(
                r.nop for r in mine if r.land_area * rules.land_classes[r.land_class] == best
            )
            assert winners[0].nop == first_best
        assert all(r.nop in chosen for r in known if r.taxpayer_nik_hash is None)
