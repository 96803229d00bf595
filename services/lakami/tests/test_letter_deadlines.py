"""Deadlines of letter requests: working days without weekends and holidays, overdue lists."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cimahi_lakami.letters.deadlines import CALENDAR_EXTRA, CLOCK_EXTRA
from cimahi_shared.calendar import WIB, WorkCalendar
from services.lakami.tests.conftest import CIBABAT, MELONG, Tokens, letter_body, problem
from services.lakami.tests.test_letter_chain import CIMAHI_SELATAN, USAHA_FIELDS, through
from services.lakami.tests.test_letters import act, runtime

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=WIB)  # a Friday morning
HOLIDAY = date(2026, 11, 30)  # the Monday after it


class Clock:
    """A settable clock for the app (``lakami_clock`` extra)."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    pinned = Clock(FRIDAY)
    extras = runtime(app).extras
    extras[CLOCK_EXTRA] = pinned
    extras[CALENDAR_EXTRA] = WorkCalendar(holidays=frozenset({HOLIDAY}))
    return pinned


def end_of(day: date) -> str:
    moment = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=WIB)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def body_at(moment: datetime, **overrides: Any) -> dict[str, Any]:
    cover = (moment.astimezone(WIB).date() - timedelta(days=2)).isoformat()
    return letter_body(cover_letter_date=cover, **overrides)


async def submit_at(
    client: httpx.AsyncClient, clock: Clock, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/letter-requests", json=body_at(clock.now, **overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def same_instant(value: str, expected: str) -> bool:
    return datetime.fromisoformat(value) == datetime.fromisoformat(expected)


class TestDueDate:
    async def test_friday_submission_skips_the_weekend_and_a_monday_holiday(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        citizen = tokens.citizen()
        one_day = await submit_at(client, clock, citizen)  # domisili: 1 working day
        assert same_instant(one_day["due_at"], end_of(date(2026, 12, 1)))  # Tuesday
        assert one_day["overdue"] is False
        three_days = await submit_at(
            client, clock, citizen, letter_type="usaha", fields=USAHA_FIELDS
        )
        assert same_instant(three_days["due_at"], end_of(date(2026, 12, 3)))  # Thursday
        assert one_day["submitted_at"].startswith("2026-11-27T03:00:00")

    async def test_the_holidays_file_of_the_environment_is_used_by_default(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        tokens: Tokens,
        clock: Clock,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        del runtime(app).extras[CALENDAR_EXTRA]
        holidays = tmp_path / "holidays.json"
        holidays.write_text(
            json.dumps(
                {
                    "holidays": [
                        {"date": "2026-11-30", "name": "Libur daerah"},
                        {"date": "2026-12-01", "name": "Cuti bersama"},
                    ]
                }
            )
        )
        monkeypatch.setenv("CIMAHI_HOLIDAYS_FILE", str(holidays))
        created = await submit_at(client, clock, tokens.citizen())
        assert same_instant(created["due_at"], end_of(date(2026, 12, 2)))  # Wednesday

    async def test_the_clock_restarts_on_resubmission_and_returned_is_never_overdue(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        citizen, officer = tokens.citizen(), tokens.officer(MELONG)
        tracking_no = (await submit_at(client, clock, citizen))["tracking_no"]
        clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=WIB))  # Wednesday: overdue since Tuesday
        url = f"/v1/letter-requests/{tracking_no}"
        assert (await client.get(url, headers=citizen)).json()["overdue"] is True
        returned = await act(client, tracking_no, "return", officer, note="Lengkapi alamat")
        assert returned.json()["overdue"] is False
        clock.set(datetime(2026, 12, 4, 16, 0, tzinfo=WIB))  # Friday
        resubmitted = await client.post(
            f"{url}/resubmit", json={"purpose": "Pembukaan rekening bank"}, headers=citizen
        )
        assert resubmitted.status_code == 200, resubmitted.text
        body = resubmitted.json()
        assert same_instant(body["due_at"], end_of(date(2026, 12, 7)))  # next Monday
        assert body["overdue"] is False


class TestDueLists:
    async def test_overdue_and_due_soon_by_area_and_level(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        citizen = tokens.citizen()
        lurah, camat = tokens.officer(MELONG), tokens.officer(CIMAHI_SELATAN)
        other_lurah = tokens.officer(CIBABAT)
        usaha = {"letter_type": "usaha", "fields": USAHA_FIELDS}
        # Friday: due Tuesday (domisili) and Thursday (usaha).
        late = (await submit_at(client, clock, citizen))["tracking_no"]
        later = (await submit_at(client, clock, citizen, **usaha))["tracking_no"]
        done = (await submit_at(client, clock, citizen))["tracking_no"]
        await through(client, done, lurah, "verify", "process", "approve")
        cibabat = (await submit_at(client, clock, citizen, kelurahan_code=CIBABAT))["tracking_no"]
        at_kecamatan = (await submit_at(client, clock, citizen, **usaha))["tracking_no"]
        await through(client, at_kecamatan, lurah, "verify", "process", "approve")
        # Tuesday: due Wednesday (domisili).
        clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=WIB))
        soon = (await submit_at(client, clock, citizen))["tracking_no"]

        async def listed(headers: dict[str, str], due: str) -> list[str]:
            response = await client.get(f"/v1/letter-requests?due={due}", headers=headers)
            assert response.status_code == 200, response.text
            return [item["tracking_no"] for item in response.json()["items"]]

        # Wednesday 10:00: domisili of Friday overdue; due within 1 working day (by Thursday
        # night): the Tuesday domisili (today) and the Friday usaha (Thursday).
        clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=WIB))
        assert await listed(lurah, "overdue") == [late]
        assert await listed(lurah, "due_soon") == [soon, later]
        assert await listed(other_lurah, "overdue") == [cibabat]
        assert await listed(camat, "overdue") == []
        assert await listed(camat, "due_soon") == [at_kecamatan]
        assert await listed(citizen, "overdue") == [late, cibabat]
        everything = await client.get("/v1/letter-requests?due=overdue", headers=tokens.admin())
        assert [i["tracking_no"] for i in everything.json()["items"]] == [late, cibabat]
        page = (await client.get("/v1/letter-requests?due=overdue", headers=lurah)).json()
        assert page["items"][0]["overdue"] is True
        # Friday: everything of the kelurahan still open is overdue, earliest deadline first.
        clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=WIB))
        assert await listed(lurah, "overdue") == [late, soon, later]
        assert await listed(camat, "overdue") == [at_kecamatan]

    async def test_due_lists_page_by_deadline(
        self, client: httpx.AsyncClient, tokens: Tokens, clock: Clock
    ) -> None:
        citizen, lurah = tokens.citizen(), tokens.officer(MELONG)
        expected: list[str] = []
        for day in (27, 26, 25, 24, 23):  # Friday back to Monday: earlier deadlines later
            clock.set(datetime(2026, 11, day, 9, 0, tzinfo=WIB))
            expected.insert(0, (await submit_at(client, clock, citizen))["tracking_no"])
        clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=WIB))
        seen: list[str] = []
        cursor = None
        while True:
            query = "/v1/letter-requests?due=overdue&limit=2" + (
                f"&cursor={cursor}" if cursor else ""
            )
            response = await client.get(query, headers=lurah)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [i["tracking_no"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
        bad = await client.get("/v1/letter-requests?due=overdue&cursor=abc", headers=lurah)
        assert problem(bad, 422)["errors"][0]["field"] == "cursor"
        problem(await client.get("/v1/letter-requests?due=later", headers=lurah), 422)
