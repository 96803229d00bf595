"""SIPINTER's "now" and working-day calendar, injectable through the runtime's extras.

Application deadlines (working days, paused while the applicant fixes their file) never read
the wall clock or load holidays themselves: each HTTP request takes both from here.
``runtime.extras`` may hold a ``sipinter_clock`` (a function returning an aware UTC datetime) and a ``sipinter_calendar`` (a
``WorkCalendar``); tests pin both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.app import RuntimeDep
from cimahi_shared.calendar import RequestClock, request_clock
from cimahi_sipinter.config import SipinterSettings

CLOCK_EXTRA = "sipinter_clock"
CALENDAR_EXTRA = "sipinter_calendar"

Clock = RequestClock
"""The time of one HTTP request and the calendar deadlines are counted on."""


async def current_clock(runtime: RuntimeDep) -> Clock:
    """The HTTP request's clock (pinned ones from the runtime's extras in tests)."""
    settings = runtime.settings
    due_soon = settings.due_soon_working_days if isinstance(settings, SipinterSettings) else 1
    return request_clock(
        runtime.extras,
        clock_key=CLOCK_EXTRA,
        calendar_key=CALENDAR_EXTRA,
        due_soon_working_days=due_soon,
    )


ClockDep = Annotated[Clock, Depends(current_clock)]
