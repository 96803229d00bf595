"""Per-client rate limits: a token bucket per key (token subject, or client address), bounded memory."""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class RateLimiter:
    """``per_minute`` tokens a minute refill each client's bucket of ``burst`` tokens.

    At most ``max_clients`` buckets are kept: when full, buckets that have refilled completely
    are dropped (forgetting them changes nothing), and if that is not enough the half
    created first is dropped (those clients get a fresh bucket: the table stays bounded
    even under a flood of distinct keys).
    Not thread-safe; one event loop owns it.
    """

    __slots__ = ("_buckets", "_burst", "_clock", "_full_after", "_max_clients", "_rate", "limit")

    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(max(1, burst))
        self.limit = max(1, burst)
        self._max_clients = max(1, max_clients)
        self._clock = clock
        # How long an untouched bucket takes to refill from empty: after that it equals a new one.
        self._full_after = self._burst / self._rate if self._rate > 0 else math.inf
        # key -> [tokens, last update]
        self._buckets: dict[str, list[float]] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def acquire(self, key: str) -> tuple[float, int]:
        """Take one token: ``(0.0, remaining)`` if allowed, else ``(seconds to wait, 0)``."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_clients:
                self._shrink(now)
            self._buckets[key] = [self._burst - 1.0, now]
            return 0.0, int(self._burst - 1.0)
        tokens = bucket[0] + (now - bucket[1]) * self._rate
        if tokens > self._burst:
            tokens = self._burst
        bucket[1] = now
        if tokens >= 1.0:
            tokens -= 1.0
            bucket[0] = tokens
            return 0.0, int(tokens)
        bucket[0] = tokens
        if self._rate <= 0:
            return math.inf, 0
        return (1.0 - tokens) / self._rate, 0

    def _shrink(self, now: float) -> None:
        full_after = self._full_after
        idle = [k for k, (_, last) in self._buckets.items() if now - last >= full_after]
        for key in idle:
            del self._buckets[key]
        if len(self._buckets) >= self._max_clients:
            oldest = list(self._buckets)[: max(1, len(self._buckets) // 2)]
            for key in oldest:
                del self._buckets[key]
