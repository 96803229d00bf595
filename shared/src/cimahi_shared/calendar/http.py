"""The FastAPI dependency giving each HTTP request its clock (``RequestClock``).

A service ``svc`` reads a pinned clock from ``runtime.extras["svc_clock"]`` and a pinned
calendar from ``runtime.extras["svc_calendar"]`` (tests set them), and "due soon" from its
settings' ``due_soon_working_days`` (1 when it has none).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cimahi_shared.app import Runtime, RuntimeDep
from cimahi_shared.calendar.workdays import RequestClock, request_clock


def clock_dependency(service: str) -> Callable[[Runtime], Awaitable[RequestClock]]:
    """``async def current_clock(runtime)`` for ``service``'s routes (``Depends(...)``)."""
    clock_key, calendar_key = f"{service}_clock", f"{service}_calendar"

    async def current_clock(runtime: RuntimeDep) -> RequestClock:
        """The HTTP request's clock (pinned ones from the runtime's extras in tests)."""
        due_soon = getattr(runtime.settings, "due_soon_working_days", 1)
        return request_clock(
            runtime.extras,
            clock_key=clock_key,
            calendar_key=calendar_key,
            due_soon_working_days=int(due_soon),
        )

    return current_clock
