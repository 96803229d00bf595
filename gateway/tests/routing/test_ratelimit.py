"""The token-bucket rate limiter, on a fake clock."""

from __future__ import annotations

import pytest

from cimahi_gateway.routing.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def make(
    per_minute: int = 60, burst: int = 3, max_clients: int = 1000
) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    limiter = RateLimiter(per_minute=per_minute, burst=burst, max_clients=max_clients, clock=clock)
    return limiter, clock


class TestRateLimiter:
    def test_burst_then_refused_with_the_wait(self) -> None:
        limiter, _ = make(per_minute=60, burst=3)
        assert [limiter.acquire("a") for _ in range(3)] == [(0.0, 2), (0.0, 1), (0.0, 0)]
        wait, remaining = limiter.acquire("a")
        assert wait == pytest.approx(1.0)
        assert remaining == 0

    def test_refills_at_the_rate_up_to_the_burst(self) -> None:
        limiter, clock = make(per_minute=120, burst=3)
        for _ in range(3):
            limiter.acquire("a")
        clock.now += 0.5
        assert limiter.acquire("a") == (0.0, 0)
        assert limiter.acquire("a")[0] > 0
        clock.now += 3600
        assert limiter.acquire("a") == (0.0, 2)

    def test_refused_requests_do_not_pay(self) -> None:
        limiter, clock = make(per_minute=60, burst=1)
        limiter.acquire("a")
        for _ in range(10):
            assert limiter.acquire("a")[0] > 0
        clock.now += 1.0
        assert limiter.acquire("a")[0] == 0.0

    def test_keys_are_independent(self) -> None:
        limiter, _ = make(burst=1)
        assert limiter.acquire("a")[0] == 0.0
        assert limiter.acquire("a")[0] > 0
        assert limiter.acquire("b")[0] == 0.0

    def test_memory_stays_bounded_under_many_clients(self) -> None:
        limiter, clock = make(max_clients=100)
        for i in range(10_000):
            limiter.acquire(f"client-{i}")
            clock.now += 0.001
        assert len(limiter) <= 100

    def test_eviction_drops_idle_buckets_not_a_limited_client(self) -> None:
        limiter, clock = make(per_minute=60, burst=3, max_clients=10)
        for i in range(9):
            limiter.acquire(f"idle-{i}")
        clock.now += 10  # the idle buckets have refilled: forgetting them changes nothing
        for _ in range(3):
            limiter.acquire("hot")
        for i in range(5):
            limiter.acquire(f"new-{i}")
        assert len(limiter) <= 10
        assert limiter.acquire("hot")[0] > 0  # still limited: its bucket was kept
