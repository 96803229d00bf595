"""Working days in Cimahi: weekends and public holidays excluded, deadlines at the end of a WIB day."""

from cimahi_shared.calendar.workdays import (
    WIB,
    RequestClock,
    WorkCalendar,
    default_calendar,
    load_holidays,
    now_and_calendar,
    request_clock,
)

__all__ = [
    "WIB",
    "RequestClock",
    "WorkCalendar",
    "default_calendar",
    "load_holidays",
    "now_and_calendar",
    "request_clock",
]
