"""E-PBB's "now" and working-day calendar, injectable through the runtime's extras.

Taxpayer requests and payment amounts never read the wall clock or load holidays themselves: each HTTP request takes
both from here. ``runtime.extras`` may hold a ``epbb_clock`` (a function returning an
aware UTC datetime) and a ``epbb_calendar`` (a ``WorkCalendar``); tests pin both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends

from cimahi_epbb.config import EpbbSettings
from cimahi_shared.app import RuntimeDep
from cimahi_shared.calendar import WorkCalendar, now_and_calendar
from cimahi_shared.calendar.workdays import WIB

CLOCK_EXTRA = "epbb_clock"
CALENDAR_EXTRA = "epbb_calendar"


@dataclass(frozen=True, slots=True)
class Clock:
    """The time of one HTTP request and the calendar deadlines are counted on."""

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


async def current_clock(runtime: RuntimeDep) -> Clock:
    """The HTTP request's clock (pinned ones from the runtime's extras in tests)."""
    now, calendar = now_and_calendar(
        runtime.extras, clock_key=CLOCK_EXTRA, calendar_key=CALENDAR_EXTRA
    )
    settings = runtime.settings
    due_soon = settings.due_soon_working_days if isinstance(settings, EpbbSettings) else 1
    return Clock(now=now, calendar=calendar, due_soon_working_days=due_soon)


ClockDep = Annotated[Clock, Depends(current_clock)]
