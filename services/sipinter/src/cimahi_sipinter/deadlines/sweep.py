"""The periodic sweep: applications past their deadline (fiktif positif), permits about to expire.

:func:`sweep_once` runs both parts (``deadlines.service``) and says how much it did. The service
runs it every ``settings.sweep_interval_seconds`` in a background task (``start``/``stop``
are hooks of ``create_service_app``; 0 turns it off), an admin can run it at once
(``POST /v1/admin/sweeps``) and a scheduler can run ``python -m cimahi_sipinter sweep``. Several
replicas may sweep at the same time: nothing is flagged or reminded twice. The task's clock is
the same as a request's (a test pins it in ``runtime.extras``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cimahi_shared.app import Runtime
from cimahi_shared.calendar import RequestClock, request_clock
from cimahi_shared.db import create_engine, create_session_factory
from cimahi_sipinter.clock import CALENDAR_EXTRA, CLOCK_EXTRA
from cimahi_sipinter.config import SipinterSettings, settings_of
from cimahi_sipinter.deadlines.service import flag_overdue, remind_expiring

logger = logging.getLogger("cimahi.sipinter.sweep")

TASK_EXTRA = "sipinter_sweep_task"
"""Where the running background task is kept in ``runtime.extras``."""


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep did."""

    deemed_approved: int
    reminders: int


def clock_of(extras: dict[str, object], settings: SipinterSettings) -> RequestClock:
    """The clock a request would have now (pinned ones from ``extras`` in tests)."""
    return request_clock(
        extras,
        clock_key=CLOCK_EXTRA,
        calendar_key=CALENDAR_EXTRA,
        due_soon_working_days=settings.due_soon_working_days,
    )


async def sweep_once(
    target: Runtime | async_sessionmaker[AsyncSession],
    *,
    clock: RequestClock,
    settings: SipinterSettings,
) -> SweepResult:
    """Flag overdue applications (when fiktif positif is on) and emit due expiry reminders."""
    factory = target.session_factory if isinstance(target, Runtime) else target
    deemed = await flag_overdue(factory, clock) if settings.deemed_approval_enabled else 0
    reminders = await remind_expiring(factory, clock, settings.expiry_reminder_days)
    if isinstance(target, Runtime) and (deemed or reminders):
        target.relay.wake()
    return SweepResult(deemed_approved=deemed, reminders=reminders)


async def run_standalone(settings: SipinterSettings) -> SweepResult:
    """One sweep from outside the service (the CLI): its own engine, the wall clock."""
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        return await sweep_once(
            create_session_factory(engine), clock=clock_of({}, settings), settings=settings
        )
    finally:
        await engine.dispose()


async def _loop(runtime: Runtime, settings: SipinterSettings) -> None:
    """Sweep every interval until cancelled; a failed sweep is logged and tried next time."""
    while True:
        await asyncio.sleep(settings.sweep_interval_seconds)
        try:
            result = await sweep_once(
                runtime, clock=clock_of(runtime.extras, settings), settings=settings
            )
        except Exception:
            logger.exception("sipinter sweep failed; trying again in the next interval")
            continue
        if result.deemed_approved or result.reminders:
            logger.info(
                "sipinter sweep: %d deemed approved, %d expiry reminders",
                result.deemed_approved,
                result.reminders,
            )


async def start(runtime: Runtime) -> None:
    """Start the background sweep (the first run is one interval after the start)."""
    settings = settings_of(runtime)
    if settings.sweep_interval_seconds <= 0:
        return
    runtime.extras[TASK_EXTRA] = asyncio.create_task(
        _loop(runtime, settings), name="sipinter-sweep"
    )


async def stop(runtime: Runtime) -> None:
    """Stop the background sweep (a sweep in progress is cancelled; its batch rolls back)."""
    task = runtime.extras.pop(TASK_EXTRA, None)
    if not isinstance(task, asyncio.Task):
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
