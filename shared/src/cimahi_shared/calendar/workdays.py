"""A working-day calendar for service deadlines.

Indonesian public-service time limits are counted in working days (hari kerja): Monday to Friday,
without national public holidays and the joint leave days (cuti bersama) the government decrees
each year. Holidays are data, not code: ``holidays_id.json`` in this package holds the decreed
days this project knows of, and a deployment points ``CIMAHI_HOLIDAYS_FILE`` at its own file
(same format) when a new decree is published or a regional holiday is added.

A deadline of N working days after a moment is the end (23:59:59 WIB) of the N-th working day
after the day of that moment: a request filed on Friday afternoon with a 1-day limit is due on
Monday evening, and one filed on a holiday counts from the next working day like any other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import cast

from cimahi_shared.db import utcnow

WIB = timezone(timedelta(hours=7), "WIB")
HOLIDAYS_ENV = "CIMAHI_HOLIDAYS_FILE"
_END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Working days: not Saturday or Sunday (``weekend``), not in ``holidays``."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday

    def is_working_day(self, day: date) -> bool:
        """Whether offices are open on ``day``."""
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``n`` >= 1); ``n`` = 0 gives ``day`` itself."""
        if n < 0:
            raise ValueError("n must be >= 0")
        remaining = n
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def due_at(self, start: datetime, working_days: int) -> datetime:
        """End (23:59:59 WIB, as UTC) of the ``working_days``-th working day after ``start``."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        day = self.add_working_days(start.astimezone(WIB).date(), working_days)
        return datetime.combine(day, _END_OF_DAY, tzinfo=WIB).astimezone(UTC)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (``start``, ``end``]: 0 when ``end`` <= ``start``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def load_holidays(path: str | os.PathLike[str] | None = None) -> frozenset[date]:
    """Holidays from a JSON file: ``{"holidays": [{"date": "2026-01-01", "name": ...}, ...]}``.

    ``path`` None: ``$CIMAHI_HOLIDAYS_FILE`` when set, else the packaged ``holidays_id.json``.
    Raises ``ValueError`` naming the entry when the file is malformed.
    """
    if path is None:
        path = os.environ.get(HOLIDAYS_ENV) or None
    if path is None:
        text = resources.files(__package__).joinpath("holidays_id.json").read_text("utf-8")
        source = "holidays_id.json"
    else:
        text = Path(path).read_text("utf-8")
        source = str(path)
    try:
        entries = json.loads(text)["holidays"]
        return frozenset(_parse(entries))
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source}: expected {{'holidays': [{{'date': 'YYYY-MM-DD'}}]}}") from exc


def _parse(entries: Iterable[object]) -> Iterable[date]:
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("date"), str):
            raise ValueError(f"holidays[{i}]: needs a 'date' string")
        try:
            yield date.fromisoformat(entry["date"])
        except ValueError as exc:
            raise ValueError(f"holidays[{i}].date: {entry['date']!r} is not YYYY-MM-DD") from exc


@lru_cache(maxsize=8)
def _calendar(path: str | None) -> WorkCalendar:
    return WorkCalendar(holidays=load_holidays(path))


def default_calendar() -> WorkCalendar:
    """The calendar of this process (``$CIMAHI_HOLIDAYS_FILE`` or the packaged holidays), cached."""
    return _calendar(os.environ.get(HOLIDAYS_ENV) or None)


def now_and_calendar(
    extras: Mapping[str, object], *, clock_key: str, calendar_key: str
) -> tuple[datetime, WorkCalendar]:
    """The current time and the city's calendar, or the ones a test pinned in ``extras``.

    A service keeps its clock (a function returning an aware UTC datetime) under ``clock_key``
    and its ``WorkCalendar`` under ``calendar_key`` in ``runtime.extras``; without them the wall
    clock and :func:`default_calendar` are used.
    """
    clock = cast(Callable[[], datetime], extras.get(clock_key, utcnow))
    calendar = extras.get(calendar_key)
    return clock(), calendar if isinstance(calendar, WorkCalendar) else default_calendar()


@dataclass(frozen=True, slots=True)
class RequestClock:
    """The time of one HTTP request and the calendar its deadlines are counted on."""

    now: datetime
    calendar: WorkCalendar
    due_soon_working_days: int = 1

    @property
    def today(self) -> date:
        """Today in Cimahi (WIB)."""
        return self.now.astimezone(WIB).date()

    def due_at(self, working_days: int) -> datetime:
        """End (23:59:59 WIB) of the ``working_days``-th working day after now."""
        return self.calendar.due_at(self.now, working_days)

    def due_soon_until(self) -> datetime:
        """Open requests due before this moment (and not overdue yet) are "due soon"."""
        return self.calendar.due_at(self.now, self.due_soon_working_days)


def request_clock(
    extras: Mapping[str, object],
    *,
    clock_key: str,
    calendar_key: str,
    due_soon_working_days: int = 1,
) -> RequestClock:
    """A request's clock from the wall clock, or from the ones a test pinned in ``extras``."""
    now, calendar = now_and_calendar(extras, clock_key=clock_key, calendar_key=calendar_key)
    return RequestClock(now, calendar, due_soon_working_days)
