"""Reconciliation of a channel's settlement file with E-PBB's confirmed payments of a day."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.epbb.tests.conftest import Tokens, error_fields, problem
from services.epbb.tests.factories import NOW, add_bill, add_object, load_rules
from services.epbb.tests.test_payments_helpers import (
    Channel,
    confirm,
    new_code,
    pin_clock,
    register_channel,
)

HEADER = "channel_reference,ntpd,amount,paid_at\n"
DAY = "2026-06-01"
NOPS = [f"3277010001001{n:04d}0" for n in range(1, 4)]


@pytest.fixture
async def paid(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
) -> tuple[Channel, dict[str, dict[str, Any]]]:
    """Three payments through "bjb" on 1 June 2026: references R1, R2, R3."""
    pin_clock(app, NOW)
    await load_rules(session)
    for nop in NOPS:
        obj = await add_object(session, app.state.runtime.pii, nop=nop, nik=None, name="W P")
        await add_bill(session, obj, tax_year=2026)
    await session.commit()
    bjb = await register_channel(client, tokens, code="bjb")
    payments = {}
    for i, nop in enumerate(NOPS, start=1):
        code = await new_code(client, bjb, nop)
        response = await confirm(
            client, bjb, code=code["code"], amount=code["amount"], reference=f"R{i}"
        )
        assert response.status_code == 201, response.text
        payments[f"R{i}"] = response.json()
    return bjb, payments


async def reconcile(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    text: str,
    *,
    channel: str = "bjb",
    day: str = DAY,
    content_type: str = "text/csv",
) -> httpx.Response:
    return await client.post(
        f"/v1/admin/reconciliations?channel={channel}&day={day}",
        content=text.encode(),
        headers={**headers, "Content-Type": content_type},
    )


class TestReconciliation:
    async def test_each_kind_of_difference_is_reported(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        paid: tuple[Channel, dict[str, dict[str, Any]]],
    ) -> None:
        _, payments = paid
        r1, r2 = payments["R1"], payments["R2"]
        settlement = (
            HEADER
            + f"R1,{r1['ntpd']},{r1['amount']},2026-06-01T10:00:00+07:00\n"
            + f"R2,{r2['ntpd']},{r2['amount'] + 1000},2026-06-01 10:05:00\n"
            + "R9,,50000,2026-06-01T11:00:00+07:00\n"
            + f"R1,{r1['ntpd']},{r1['amount']},2026-06-01T10:00:00+07:00\n"
        )
        response = await reconcile(client, tokens.admin(), settlement)
        assert response.status_code == 201, response.text
        report = response.json()
        assert report["matched_count"] == 1
        assert report["matched_amount"] == r1["amount"]
        found = {(d["kind"], d["channel_reference"]): d for d in report["differences"]}
        assert set(found) == {
            ("amount_differs", "R2"),
            ("missing_here", "R9"),
            ("duplicate_in_file", "R1"),
            ("missing_in_channel", "R3"),
        }
        assert found[("amount_differs", "R2")]["ours"] == r2["amount"]
        assert found[("amount_differs", "R2")]["theirs"] == r2["amount"] + 1000
        assert found[("missing_here", "R9")]["ours"] is None
        assert found[("missing_in_channel", "R3")]["theirs"] is None
        assert found[("missing_in_channel", "R3")]["ntpd"] == payments["R3"]["ntpd"]
        assert found[("duplicate_in_file", "R1")]["line"] == 5

        again = await client.get(
            f"/v1/admin/reconciliations/{report['id']}", headers=tokens.admin()
        )
        assert again.json() == report
        csv = await client.get(
            f"/v1/admin/reconciliations/{report['id']}/differences.csv", headers=tokens.admin()
        )
        assert csv.status_code == 200
        assert csv.headers["content-type"].startswith("text/csv")
        lines = csv.text.strip().splitlines()
        assert lines[0] == "kind,channel_reference,ntpd,ours,theirs,line"
        assert len(lines) == 5
        assert f"amount_differs,R2,{r2['ntpd']},{r2['amount']},{r2['amount'] + 1000},3" in lines

    async def test_a_clean_file_matches_everything(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        paid: tuple[Channel, dict[str, dict[str, Any]]],
    ) -> None:
        _, payments = paid
        rows = "".join(
            f"{ref},{p['ntpd']},{p['amount']},{p['paid_at']}\n" for ref, p in payments.items()
        )
        report = (await reconcile(client, tokens.officer("32.77"), HEADER + rows)).json()
        assert report["matched_count"] == 3
        assert report["matched_amount"] == sum(p["amount"] for p in payments.values())
        assert report["differences"] == []
        other_day = (await reconcile(client, tokens.admin(), HEADER, day="2026-06-02")).json()
        assert other_day["matched_count"] == 0
        assert other_day["differences"] == []

    async def test_bad_files_name_the_line_and_column(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        paid: tuple[Channel, dict[str, dict[str, Any]]],
    ) -> None:
        admin = tokens.admin()
        no_amount = await reconcile(client, admin, "channel_reference,ntpd,paid_at\nR1,,x\n")
        body = problem(no_amount, 422)
        assert body["errors"] == [
            {"field": "amount", "line": 1, "message": "column missing from the header"}
        ]
        bad_rows = HEADER + "R1,,100,2026-06-01T10:00:00+07:00\nR2,,-5,yesterday\nR3,,7\n"
        errors = problem(await reconcile(client, admin, bad_rows), 422)["errors"]
        assert {(e["line"], e["field"]) for e in errors} == {
            (3, "amount"),
            (3, "paid_at"),
            (4, "body"),
        }
        assert error_fields(await reconcile(client, admin, "")) == {"body"}
        assert error_fields(await reconcile(client, admin, HEADER, channel="nope")) == {"channel"}
        assert error_fields(await reconcile(client, admin, HEADER, day="1 June")) == {"day"}
        wrong_type = await reconcile(client, admin, HEADER, content_type="application/json")
        problem(wrong_type, 415)

    async def test_only_admins_and_city_wide_officers_reconcile(
        self,
        client: httpx.AsyncClient,
        tokens: Tokens,
        paid: tuple[Channel, dict[str, dict[str, Any]]],
    ) -> None:
        bjb, _ = paid
        for headers in (
            tokens.officer("32.77.01"),
            tokens.officer("32.77", agency="lakami"),
            tokens.citizen(),
            bjb.auth,
        ):
            problem(await reconcile(client, headers, HEADER), 403)
        created = await reconcile(client, tokens.admin(), HEADER)
        report_id = created.json()["id"]
        problem(
            await client.get(
                f"/v1/admin/reconciliations/{report_id}", headers=tokens.officer("32.77.01")
            ),
            403,
        )
        problem(await client.get("/v1/admin/reconciliations/nope", headers=tokens.admin()), 404)
