"""Brute-force protection for logins: failed attempts per account and per client address.

The counters live in memory, so the limits hold **per gateway process**: with N replicas an
attacker gets up to N times the attempts. That is acceptable for the local platform and a small
deployment; a shared store (Redis, the database) is the step up when the gateway scales out.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

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


class LoginRateLimiter:
    """Refuses logins after too many failures for one account or from one client address."""

    def __init__(
        self,
        *,
        max_per_account: int,
        max_per_address: int,
        window_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self.accounts = SlidingWindowCounter(
            limit=max_per_account, window=window_seconds, clock=clock
        )
        self.addresses = SlidingWindowCounter(
            limit=max_per_address, window=window_seconds, clock=clock
        )

    def check(self, *, account: str, address: str) -> None:
        """Raise 429 (with ``Retry-After``) when the account or the address is locked out."""
        waits = [
            w
            for w in (self.accounts.retry_after(account), self.addresses.retry_after(address))
            if w is not None
        ]
        if waits:
            seconds = max(1, math.ceil(max(waits)))
            raise TooManyRequests(
                "Too many failed login attempts. Try again later.",
                headers={"Retry-After": str(seconds)},
                retry_after=seconds,
            )

    def failed(self, *, account: str, address: str) -> None:
        """Count a failed login."""
        self.accounts.add(account)
        self.addresses.add(address)

    def succeeded(self, *, account: str) -> None:
        """A successful login clears the account's failures (the address keeps its count)."""
        self.accounts.clear(account)
