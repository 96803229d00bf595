"""LAKAMI's "now" and working-day calendar, injectable through the runtime's extras.

Letters and complaints never call the wall clock or load holidays themselves: each HTTP request
takes both from here. ``runtime.extras`` may hold a ``lakami_clock`` (a function returning an
aware UTC datetime) and a ``lakami_calendar`` (a ``WorkCalendar``) - tests pin both; without
them, ``utcnow`` and ``default_calendar()`` (the packaged holidays or ``$CIMAHI_HOLIDAYS_FILE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cimahi_shared.calendar import WorkCalendar
from cimahi_shared.calendar import now_and_calendar as _now_and_calendar

CLOCK_EXTRA = "lakami_clock"
CALENDAR_EXTRA = "lakami_calendar"


def now_and_calendar(extras: Mapping[str, object]) -> tuple[datetime, WorkCalendar]:
    """The current time and the city's calendar (injected ones when the runtime holds them)."""
    return _now_and_calendar(extras, clock_key=CLOCK_EXTRA, calendar_key=CALENDAR_EXTRA)
