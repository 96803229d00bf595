"""Working-day deadlines of applications and the officers' overdue / due-soon lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
from fastapi import FastAPI

from cimahi_dilandacinta.clock import CALENDAR_EXTRA
from cimahi_shared.calendar import WorkCalendar
from services.dilandacinta.tests.conftest import CIBABAT, Tokens
from services.dilandacinta.tests.test_applications_helpers import (
    Flow,
    household,
    pin_clock,
    runtime,
)
from services.dilandacinta.tests.test_applications_types import body_for

FRIDAY = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 10:00 WIB


async def test_due_date_counts_working_days_and_skips_holidays(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    pin_clock(app, FRIDAY)
    flow = Flow(client, tokens)
    card = await household(app)
    one_day = await flow.submit(body_for("kk_replacement", card))  # 1 working day
    assert one_day["due_at"] == "2026-12-07T16:59:59Z"  # Monday 23:59:59 WIB
    runtime(app).extras[CALENDAR_EXTRA] = WorkCalendar(holidays=frozenset({date(2026, 12, 7)}))
    three_days = await flow.submit(body_for("kk_split", card))  # 3 working days
    assert three_days["due_at"] == "2026-12-10T16:59:59Z"  # Tue, Wed, Thu


async def test_overdue_and_due_soon_lists_for_the_area(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    move = pin_clock(app, FRIDAY)
    flow = Flow(client, tokens)
    card = await household(app)
    late = (await flow.submit(body_for("kk_replacement", card)))["tracking_no"]
    move(FRIDAY + timedelta(days=3))  # Monday
    soon = (await flow.submit(body_for("kk_replacement", card)))["tracking_no"]
    later = (await flow.submit(body_for("kk_split", card)))["tracking_no"]
    done = (await flow.submit(body_for("kk_replacement", card)))["tracking_no"]
    await flow.ok(done, "verify", {"outcome": "reject", "note": "ganda", "missing_items": []})
    move(FRIDAY + timedelta(days=4))  # Tuesday 10:00 WIB: the first is past Monday evening

    async def listed(**params: str) -> list[str]:
        response = await client.get("/v1/applications", params=params, headers=flow.officer)
        assert response.status_code == 200, response.text
        return [item["tracking_no"] for item in response.json()["items"]]

    assert await listed(due="overdue") == [late]
    assert await listed(due="due_soon") == [soon]
    assert await listed() == [late, soon, done, later]  # by deadline
    assert await listed(status="rejected") == [done]
    assert await listed(type="kk_split") == [later]
    elsewhere = await client.get(
        "/v1/applications", params={"due": "overdue"}, headers=tokens.officer(CIBABAT)
    )
    assert elsewhere.json()["items"] == []
    own = await client.get(f"/v1/applications/{late}", headers=flow.citizen)
    assert own.json()["overdue"] is True
    await flow.ok(late, "verify", {"outcome": "return", "note": "foto", "missing_items": []})
    assert await listed(due="overdue") == []


async def test_list_pages_by_offset(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens
) -> None:
    pin_clock(app, FRIDAY)
    flow = Flow(client, tokens)
    card = await household(app)
    for _ in range(3):
        await flow.submit(body_for("kk_replacement", card))
    first = await client.get("/v1/applications", params={"limit": 2}, headers=flow.citizen)
    assert len(first.json()["items"]) == 2
    assert first.json()["next_offset"] == 2
    rest = await client.get(
        "/v1/applications", params={"limit": 2, "offset": 2}, headers=flow.citizen
    )
    assert len(rest.json()["items"]) == 1
    assert rest.json()["next_offset"] is None
