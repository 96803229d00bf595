"""Deadlines of complaints: SP4N-LAPOR! working days on the city's calendar, "now" injectable.

The service gets a ``Deadlines`` per HTTP request, with "now" and the calendar from
``cimahi_lakami.clock`` (tests pin both through the runtime's extras) and the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends

from cimahi_lakami.clock import CALENDAR_EXTRA, CLOCK_EXTRA, now_and_calendar
from cimahi_lakami.complaints.categories import (
    ANSWER_WORKING_DAYS,
    VERIFY_WORKING_DAYS,
    ComplaintType,
)
from cimahi_lakami.config import LakamiSettings
from cimahi_shared.app import RuntimeDep
from cimahi_shared.calendar import WorkCalendar

__all__ = ["CALENDAR_EXTRA", "CLOCK_EXTRA", "Deadlines", "DeadlinesDep"]


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The time of this request, the calendar and the settings that compute deadlines."""

    now: datetime
    calendar: WorkCalendar
    reopen_window_working_days: int = 10
    due_soon_working_days: int = 1
    identity_role: str = "admin"
    open311_default_public: bool = True

    def verify_due(self, filed_at: datetime) -> datetime:
        """End of the 3rd working day after filing."""
        return self.calendar.due_at(filed_at, VERIFY_WORKING_DAYS)

    def answer_due(self, start: datetime, complaint_type: str) -> datetime:
        """End of the type's n-th working day after ``start`` (filing or reopening)."""
        return self.calendar.due_at(start, ANSWER_WORKING_DAYS[ComplaintType(complaint_type)])

    def reopen_until(self, answered_at: datetime) -> datetime:
        """Last moment the citizen may reopen a complaint answered or closed at ``answered_at``."""
        return self.calendar.due_at(answered_at, self.reopen_window_working_days)

    def due_soon_until(self) -> datetime:
        """Deadlines before this moment are "nearly overdue"."""
        return self.calendar.due_at(self.now, self.due_soon_working_days)


async def current_deadlines(runtime: RuntimeDep) -> Deadlines:
    """The request's ``Deadlines`` (clock and calendar from ``runtime.extras`` when injected)."""
    now, calendar = now_and_calendar(runtime.extras)
    settings = runtime.settings
    if isinstance(settings, LakamiSettings):
        return Deadlines(
            now=now,
            calendar=calendar,
            reopen_window_working_days=settings.complaint_reopen_window_working_days,
            due_soon_working_days=settings.complaint_due_soon_working_days,
            identity_role=settings.complaint_identity_role,
            open311_default_public=settings.open311_default_public,
        )
    return Deadlines(now=now, calendar=calendar)  # pragma: no cover - LakamiSettings always


DeadlinesDep = Annotated[Deadlines, Depends(current_deadlines)]
