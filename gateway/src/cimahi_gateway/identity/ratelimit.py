"""Brute-force protection for logins: failed attempts per account and per client address.

The counters live in memory, so the limits hold **per gateway process**: with N replicas an
attacker gets up to N times the attempts. That is acceptable for the local platform and a small
deployment; a shared store (Redis, the database) is the step up when the gateway scales out.
"""

from __future__ import annotations

import math
import time

from cimahi_shared.errors import TooManyRequests
from cimahi_shared.ratelimit import Clock, SlidingWindowCounter

__all__ = ["Clock", "LoginRateLimiter", "SlidingWindowCounter"]


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
