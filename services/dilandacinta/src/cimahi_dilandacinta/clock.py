"""DILANDACINTA's "now" and working-day calendar, injectable through the runtime's extras.

Applications never read the wall clock or load holidays themselves: each HTTP request takes
both from here. ``runtime.extras`` may hold a ``dilandacinta_clock`` (a function returning an
aware UTC datetime) and a ``dilandacinta_calendar`` (a ``WorkCalendar``); tests pin both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cimahi_shared.calendar import RequestClock
from cimahi_shared.calendar.http import clock_dependency

CLOCK_EXTRA = "dilandacinta_clock"
CALENDAR_EXTRA = "dilandacinta_calendar"

Clock = RequestClock
"""The time of one HTTP request and the calendar deadlines are counted on."""

current_clock = clock_dependency("dilandacinta")
ClockDep = Annotated[Clock, Depends(current_clock)]
