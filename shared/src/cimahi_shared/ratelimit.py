"""Sliding-window counters for rate limits (logins, identity proofing, ...).

The counters live in memory, so a limit holds **per process**: with N replicas a client gets up
to N times the attempts. A shared store (Redis, the database) is the step up when that matters.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable

from starlette.requests import Request

from cimahi_shared.errors import TooManyRequests

Clock = Callable[[], float]


class SlidingWindowCounter:
    """Counts events per key within the last ``window`` seconds."""

    def __init__(
        self, *, limit: int, window: float, clock: Clock = time.monotonic, max_keys: int = 100_000
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._max_keys = max_keys

    def _live(self, key: str, now: float) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def retry_after(self, key: str) -> float | None:
        """Seconds until ``key`` is below its limit again, or None when it is below it now."""
        now = self._clock()
        events = self._live(key, now)
        if events is None or len(events) < self.limit:
            return None
        # The window frees a slot when the oldest counted event leaves it.
        return events[-self.limit] + self.window - now

    def add(self, key: str) -> None:
        """Count one event for ``key``."""
        now = self._clock()
        if len(self._events) >= self._max_keys:
            self._prune(now)
        events = self._events.setdefault(key, deque())
        events.append(now)
        # Only the newest `limit` events can ever matter.
        while len(events) > self.limit:
            events.popleft()

    def clear(self, key: str) -> None:
        """Forget ``key``'s events."""
        self._events.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in list(self._events):
            self._live(key, now)
        if len(self._events) >= self._max_keys:
            # Still full of live keys (a flood of addresses): drop the oldest half.
            oldest = sorted(self._events, key=lambda k: self._events[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._events[key]


def refuse_if_limited(checks: Iterable[tuple[SlidingWindowCounter, str]], message: str) -> None:
    """Raise 429 (with ``Retry-After`` in whole seconds) when any ``(counter, key)`` is at its limit."""
    seconds = retry_after_seconds(checks)
    if seconds is not None:
        raise TooManyRequests(message, headers={"Retry-After": str(seconds)}, retry_after=seconds)


def retry_after_seconds(checks: Iterable[tuple[SlidingWindowCounter, str]]) -> int | None:
    """Whole seconds until every ``(counter, key)`` is below its limit, or None when all are."""
    waits = [w for counter, key in checks if (w := counter.retry_after(key)) is not None]
    return max(1, math.ceil(max(waits))) if waits else None


def client_address(request: Request) -> str:
    """The caller's address: the last X-Forwarded-For hop (the gateway appends the peer it saw)."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.rsplit(",", 1)[-1].strip() or "unknown"
    return request.client.host if request.client else "unknown"


def process_counter(
    extras: dict[str, object], key: str, *, limit: int, window: float = 60.0
) -> SlidingWindowCounter:
    """The process's counter kept in a runtime's ``extras`` under ``key`` (made on first use)."""
    counter = extras.get(key)
    if not isinstance(counter, SlidingWindowCounter):
        counter = SlidingWindowCounter(limit=limit, window=window)
        extras[key] = counter
    return counter
