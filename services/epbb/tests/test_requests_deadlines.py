"""Working-day deadlines of taxpayer requests and the officers' overdue / due-soon lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from cimahi_epbb.requests.kinds import DEADLINE_WORKING_DAYS
from cimahi_shared.calendar import WorkCalendar
from services.epbb.tests.conftest import Tokens
from services.epbb.tests.test_requests_helpers import (
    CIBABAT_NOP,
    Flow,
    mutasi,
    pengurangan,
    pin_clock,
    scene,
)

FRIDAY = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 10:00 WIB


def test_kind_deadlines_are_the_documented_working_days() -> None:
    assert DEADLINE_WORKING_DAYS == {"keberatan": 60, "pengurangan": 20, "mutasi": 10}


async def test_due_dates_skip_weekends_and_holidays(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
) -> None:
    pin_clock(app, FRIDAY)
    await scene(app, session)
    flow = Flow(client, tokens)
    # 10 working days after Friday 4 Dec: 7-11 and 14-18 Dec -> Friday 18 Dec, 23:59:59 WIB.
    assert (await flow.submit(mutasi(object_changes={"land_area": 100})))["due_at"] == (
        "2026-12-18T16:59:59Z"
    )
    # 20 working days: 7 Dec .. 1 Jan 2027 without holidays.
    assert (await flow.submit(pengurangan()))["due_at"] == "2027-01-01T16:59:59Z"
    pin_clock(
        app,
        FRIDAY,
        WorkCalendar(holidays=frozenset({date(2026, 12, 7), date(2026, 12, 25), date(2027, 1, 1)})),
    )
    # Three holidays on working days push the 20th working day to Wednesday 6 Jan 2027.
    budi = await flow.submit(pengurangan(nop=CIBABAT_NOP), flow.budi)
    assert budi["due_at"] == "2027-01-06T16:59:59Z"


async def test_resubmission_restarts_the_deadline(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
) -> None:
    move = pin_clock(app, FRIDAY)
    await scene(app, session)
    flow = Flow(client, tokens)
    ref = (await flow.submit(mutasi(object_changes={"land_area": 100})))["id"]
    await flow.ok(ref, "return", {"note": "Lampirkan sertifikat"})
    move(FRIDAY + timedelta(days=7))  # the next Friday
    again = await flow.ok(ref, "resubmit", {"reason": "Sertifikat terlampir"}, flow.ani)
    assert again["due_at"] == "2026-12-25T16:59:59Z"


async def test_overdue_and_due_soon_lists(
    app: FastAPI, client: httpx.AsyncClient, tokens: Tokens, session: Any
) -> None:
    move = pin_clock(app, FRIDAY)
    await scene(app, session)
    flow = Flow(client, tokens)
    soon = (await flow.submit(mutasi(object_changes={"land_area": 100})))["id"]  # due 18 Dec
    later = (await flow.submit(pengurangan()))["id"]  # due 1 Jan
    waiting = (
        await flow.submit(mutasi(nop=CIBABAT_NOP, object_changes={"land_area": 99}), flow.budi)
    )["id"]
    await flow.ok(waiting, "return", {"note": "Lengkapi"}, flow.head)  # the taxpayer's turn

    async def listed(**params: str) -> list[str]:
        response = await client.get("/v1/requests", params=params, headers=flow.head)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    move(datetime(2026, 12, 17, 3, 0, tzinfo=UTC))  # Thursday: 18 Dec is within 2 working days
    assert await listed(due="due_soon") == [soon]
    assert await listed(due="overdue") == []
    move(datetime(2026, 12, 21, 3, 0, tzinfo=UTC))  # Monday after
    assert await listed(due="overdue") == [soon]
    assert await listed(due="due_soon") == []
    response = await client.get(f"/v1/requests/{soon}", headers=flow.officer)
    assert response.json()["overdue"] is True
    assert await listed() == [soon, waiting, later]  # by deadline, then filing order
    assert waiting not in await listed(due="overdue")  # returned: not Bapenda's delay
    move(datetime(2027, 3, 1, 3, 0, tzinfo=UTC))
    assert await listed(due="overdue") == [soon, later]
