"""Deadlines of letter requests: working days on the city's calendar, "now" injectable.

The service gets a ``LetterClock`` per HTTP request, with "now" and the calendar from
``cimahi_lakami.clock`` (tests pin both through the runtime's extras).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends

from cimahi_lakami.clock import CALENDAR_EXTRA, CLOCK_EXTRA, now_and_calendar
from cimahi_lakami.config import LakamiSettings
from cimahi_shared.app import RuntimeDep
from cimahi_shared.calendar import WorkCalendar

__all__ = ["CALENDAR_EXTRA", "CLOCK_EXTRA", "ClockDep", "LetterClock", "letter_clock"]


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


def letter_clock(extras: Mapping[str, object], settings: object) -> LetterClock:
    """A ``LetterClock`` from runtime extras and settings (defaults: wall clock, city calendar)."""
    now, calendar = now_and_calendar(extras)
    due_soon = settings.letter_due_soon_working_days if isinstance(settings, LakamiSettings) else 1
    return LetterClock(now=now, calendar=calendar, due_soon_working_days=due_soon)


async def current_clock(runtime: RuntimeDep) -> LetterClock:
    """The HTTP request's ``LetterClock``."""
    return letter_clock(runtime.extras, runtime.settings)


ClockDep = Annotated[LetterClock, Depends(current_clock)]
