"""Deadlines of letter requests: working days on the city's calendar, "now" injectable.

Like complaints (``complaints/deadlines.py``), the service never calls the wall clock or loads
holidays itself: it gets a ``LetterClock`` built from the runtime, whose ``extras`` may hold a
``letters_clock`` (a function returning an aware UTC datetime) and a ``letters_calendar`` (a
``WorkCalendar``); without them, ``utcnow`` and ``default_calendar()`` (the packaged holidays or
``$CIMAHI_HOLIDAYS_FILE``). Tests inject both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends

from cimahi_lakami.config import LakamiSettings
from cimahi_shared.app import RuntimeDep
from cimahi_shared.calendar import WorkCalendar, default_calendar
from cimahi_shared.db import utcnow

CLOCK_EXTRA = "letters_clock"
CALENDAR_EXTRA = "letters_calendar"


@dataclass(frozen=True, slots=True)
class LetterClock:
    """The time of this HTTP request and the calendar that computes deadlines."""

    now: datetime
    calendar: WorkCalendar
    due_soon_working_days: int = 1

    def due_at(self, start: datetime, working_days: int) -> datetime:
        """End (23:59:59 WIB) of the ``working_days``-th working day after ``start``."""
        return self.calendar.due_at(start, working_days)

    def due_soon_until(self) -> datetime:
        """Open requests due before this moment (and not overdue yet) are "due soon"."""
        return self.calendar.due_at(self.now, self.due_soon_working_days)


def letter_clock(extras: dict[str, object], settings: object) -> LetterClock:
    """A ``LetterClock`` from runtime extras and settings (defaults: wall clock, city calendar)."""
    clock = cast(Callable[[], datetime], extras.get(CLOCK_EXTRA, utcnow))
    calendar = extras.get(CALENDAR_EXTRA)
    due_soon = settings.letter_due_soon_working_days if isinstance(settings, LakamiSettings) else 1
    return LetterClock(
        now=clock(),
        calendar=calendar if isinstance(calendar, WorkCalendar) else default_calendar(),
        due_soon_working_days=due_soon,
    )


async def current_clock(runtime: RuntimeDep) -> LetterClock:
    """The HTTP request's ``LetterClock``."""
    return letter_clock(runtime.extras, runtime.settings)


ClockDep = Annotated[LetterClock, Depends(current_clock)]
