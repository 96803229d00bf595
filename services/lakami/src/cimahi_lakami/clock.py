"""LAKAMI's "now" and working-day calendar, injectable through the runtime's extras.

Letters and complaints never call the wall clock or load holidays themselves: each HTTP request
takes both from here. ``runtime.extras`` may hold a ``lakami_clock`` (a function returning an
aware UTC datetime) and a ``lakami_calendar`` (a ``WorkCalendar``) - tests pin both; without
them, ``utcnow`` and ``default_calendar()`` (the packaged holidays or ``$CIMAHI_HOLIDAYS_FILE``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import cast

from cimahi_shared.calendar import WorkCalendar, default_calendar
from cimahi_shared.db import utcnow

CLOCK_EXTRA = "lakami_clock"
CALENDAR_EXTRA = "lakami_calendar"


def now_and_calendar(extras: Mapping[str, object]) -> tuple[datetime, WorkCalendar]:
    """The current time and the city's calendar (injected ones when the runtime holds them)."""
    clock = cast(Callable[[], datetime], extras.get(CLOCK_EXTRA, utcnow))
    calendar = extras.get(CALENDAR_EXTRA)
    return clock(), calendar if isinstance(calendar, WorkCalendar) else default_calendar()
