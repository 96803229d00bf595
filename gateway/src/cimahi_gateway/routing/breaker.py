"""A per-upstream circuit breaker: stop sending traffic to an upstream that keeps failing."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed, then open after ``failure_threshold`` consecutive failures, half-open after ``reset_seconds``.

    Open: every request is refused at once (the caller answers 503 with ``Retry-After``).
    Half-open: one trial request goes through; its success closes the breaker, its failure
    opens it again for another ``reset_seconds``. A trial that never reports (its client went
    away) frees the trial slot via ``abandon()``, and one older than ``reset_seconds`` is
    presumed lost, so the breaker cannot stay half-open forever.

    Verdicts are not tied to the request that was admitted as the trial: while half-open, a
    verdict from a request admitted before the breaker opened counts too (it is evidence about
    the upstream's health all the same). Not thread-safe; one event loop owns it.
    """

    __slots__ = ("_clock", "_failures", "_opened_at", "_reset", "_threshold", "_trial_started")

    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = max(1, failure_threshold)
        self._reset = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started: float | None = None

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open`` (for metrics, logs and tests)."""
        if self._opened_at is None:
            return "closed"
        if self._trial_started is not None or self._clock() - self._opened_at >= self._reset:
            return "half-open"
        return "open"

    def retry_after(self) -> float:
        """0.0 if a request may go to the upstream now (maybe as the trial), else seconds to wait."""
        opened_at = self._opened_at
        if opened_at is None:
            return 0.0
        now = self._clock()
        trial = self._trial_started
        if trial is not None:
            waited = now - trial
            if waited < self._reset:
                return self._reset - waited
        elif now - opened_at < self._reset:
            return self._reset - (now - opened_at)
        self._trial_started = now
        return 0.0

    def success(self) -> None:
        """The upstream answered properly."""
        if self._opened_at is None:
            self._failures = 0
        elif self._trial_started is not None:
            self._opened_at = None
            self._trial_started = None
            self._failures = 0

    def failure(self) -> None:
        """The upstream failed: connection error, timeout, or 502/503/504."""
        if self._opened_at is None:
            self._failures += 1
            if self._failures >= self._threshold:
                self._opened_at = self._clock()
        elif self._trial_started is not None:
            self._opened_at = self._clock()
            self._trial_started = None

    def abandon(self) -> None:
        """A request ended without a verdict (client gone, body refused): free the trial slot."""
        self._trial_started = None
