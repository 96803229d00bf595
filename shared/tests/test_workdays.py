"""Working-day deadlines: weekends and holidays are skipped, deadlines end at 23:59:59 WIB."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cimahi_shared.calendar import (
    WIB,
    WorkCalendar,
    default_calendar,
    load_holidays,
    request_clock,
)
from cimahi_shared.calendar.workdays import HOLIDAYS_ENV

PLAIN = WorkCalendar()


def test_friday_plus_one_working_day_is_monday_evening_wib() -> None:
    friday_afternoon = datetime(2026, 11, 27, 15, 0, tzinfo=WIB)
    due = PLAIN.due_at(friday_afternoon, 1)
    assert due == datetime(2026, 11, 30, 23, 59, 59, tzinfo=WIB)
    assert due.tzinfo == UTC


def test_a_holiday_is_skipped_like_a_weekend() -> None:
    # Thursday 13 Aug 2026 + 3 working days: Fri 14, (weekend), Mon 17 Aug is a holiday, Tue 18.
    calendar = WorkCalendar(holidays=frozenset({date(2026, 8, 17)}))
    assert calendar.add_working_days(date(2026, 8, 13), 3) == date(2026, 8, 19)
    assert PLAIN.add_working_days(date(2026, 8, 13), 3) == date(2026, 8, 18)


def test_filed_on_a_holiday_counts_from_the_next_working_day() -> None:
    calendar = WorkCalendar(holidays=frozenset({date(2026, 12, 25)}))
    christmas_morning = datetime(2026, 12, 25, 9, 0, tzinfo=WIB)  # a Friday
    assert calendar.due_at(christmas_morning, 1).astimezone(WIB).date() == date(2026, 12, 28)


def test_the_wib_day_decides_not_the_utc_day() -> None:
    # 18:30 UTC on Friday is 01:30 WIB on Saturday: +1 working day is Monday, not Monday too early.
    late = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    assert late.astimezone(WIB).weekday() == 5
    assert PLAIN.due_at(late, 1).astimezone(WIB).date() == date(2026, 11, 30)
    assert PLAIN.due_at(late, 2).astimezone(WIB).date() == date(2026, 12, 1)


def test_counting_working_days_between_two_dates() -> None:
    assert PLAIN.working_days_between(date(2026, 11, 27), date(2026, 11, 30)) == 1
    assert PLAIN.working_days_between(date(2026, 11, 30), date(2026, 11, 27)) == 0
    assert PLAIN.working_days_between(date(2026, 11, 23), date(2026, 12, 7)) == 10


def test_naive_datetimes_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        PLAIN.due_at(datetime(2026, 1, 1, 8, 0), 1)
    with pytest.raises(ValueError, match=">= 0"):
        PLAIN.add_working_days(date(2026, 1, 1), -1)


def test_packaged_holidays_include_independence_day_and_idul_fitri() -> None:
    holidays = load_holidays()
    assert date(2026, 8, 17) in holidays
    assert date(2026, 3, 21) in holidays
    assert all(isinstance(d, date) for d in holidays)


def test_a_deployment_file_replaces_the_packaged_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "holidays.json"
    own.write_text(json.dumps({"holidays": [{"date": "2026-06-03", "name": "Hari Jadi Cimahi"}]}))
    monkeypatch.setenv(HOLIDAYS_ENV, str(own))
    calendar = default_calendar()
    assert calendar.holidays == frozenset({date(2026, 6, 3)})
    assert not calendar.is_working_day(date(2026, 6, 3))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "expected"),
        ('{"days": []}', "expected"),
        ('{"holidays": [{"name": "no date"}]}', r"holidays\[0\]"),
        ('{"holidays": [{"date": "17-08-2026"}]}', r"holidays\[0\]\.date"),
    ],
)
def test_a_malformed_file_names_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_holidays(bad)


def test_a_request_clock_takes_pinned_time_and_calendar_from_the_extras() -> None:
    friday = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 15:00 WIB
    pinned = WorkCalendar(holidays=frozenset({date(2026, 11, 30)}))
    extras = {"svc_clock": lambda: friday, "svc_calendar": pinned}
    clock = request_clock(
        extras, clock_key="svc_clock", calendar_key="svc_calendar", due_soon_working_days=2
    )
    assert clock.now == friday
    assert clock.today == date(2026, 11, 27)
    assert clock.due_at(1) == datetime(2026, 12, 1, 23, 59, 59, tzinfo=WIB)  # Monday a holiday
    assert clock.due_soon_until() == datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB)
    unpinned = request_clock({}, clock_key="svc_clock", calendar_key="svc_calendar")
    assert unpinned.now.tzinfo is not None
    assert unpinned.calendar == default_calendar()
