"""Login rate limiting: per account and per client address, in a sliding window."""

from __future__ import annotations

from typing import Any

import pytest

from cimahi_gateway.identity.ratelimit import LoginRateLimiter, SlidingWindowCounter
from cimahi_shared.errors import TooManyRequests


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestSlidingWindow:
    def test_limit_then_the_window_slides(self) -> None:
        clock = FakeClock()
        counter = SlidingWindowCounter(limit=3, window=60, clock=clock)
        for _ in range(3):
            assert counter.retry_after("k") is None
            counter.add("k")
            clock.now += 10
        # Events at 1000, 1010, 1020; now 1030: the oldest leaves the window at 1060.
        assert counter.retry_after("k") == pytest.approx(30)
        clock.now = 1060.5
        assert counter.retry_after("k") is None

    def test_keys_are_independent(self) -> None:
        counter = SlidingWindowCounter(limit=1, window=60, clock=FakeClock())
        counter.add("a")
        assert counter.retry_after("a") is not None
        assert counter.retry_after("b") is None

    def test_memory_stays_bounded(self) -> None:
        clock = FakeClock()
        counter = SlidingWindowCounter(limit=2, window=60, clock=clock, max_keys=100)
        for i in range(1000):
            counter.add(f"addr-{i}")
        assert len(counter._events) <= 100


class TestLoginRateLimiter:
    def test_success_clears_the_account_but_not_the_address(self) -> None:
        limiter = LoginRateLimiter(
            max_per_account=2, max_per_address=3, window_seconds=60, clock=FakeClock()
        )
        limiter.failed(account="u1", address="10.0.0.1")
        limiter.failed(account="u1", address="10.0.0.1")
        with pytest.raises(TooManyRequests) as locked:
            limiter.check(account="u1", address="10.0.0.2")
        assert int(locked.value.headers["Retry-After"]) == 60
        limiter.succeeded(account="u1")
        limiter.check(account="u1", address="10.0.0.2")
        limiter.failed(account="u2", address="10.0.0.1")
        with pytest.raises(TooManyRequests):
            limiter.check(account="u3", address="10.0.0.1")


class TestLoginEndpoints:
    async def test_account_lockout_is_429_with_retry_after(
        self, start_polakami: Any, citizen: Any
    ) -> None:
        idp = await start_polakami(login_max_attempts_per_account=3, login_window_seconds=120)
        body = citizen()
        await idp.client.post("/api/v1/auth/register", json=body)
        for _ in range(3):
            wrong = await idp.password_token(body["nik"], "salah-salah-salah")
            assert wrong.status_code == 400
        # Even the right password is refused now, and by another login name of the same account.
        for username in (body["nik"], body["email"]):
            locked = await idp.password_token(username, body["password"])
            assert locked.status_code == 429
            assert locked.headers["content-type"] == "application/problem+json"
            assert 0 < int(locked.headers["retry-after"]) <= 120

    async def test_address_limit_spans_accounts(self, start_polakami: Any) -> None:
        idp = await start_polakami(login_max_attempts_per_address=4)
        for i in range(4):
            response = await idp.password_token(f"nobody{i}@example.com", "salah-salah-salah")
            assert response.status_code == 400
        locked = await idp.password_token("nobody9@example.com", "salah-salah-salah")
        assert locked.status_code == 429
        assert "retry-after" in locked.headers

    async def test_authorize_form_is_limited_too(self, start_polakami: Any, citizen: Any) -> None:
        idp = await start_polakami(login_max_attempts_per_account=2)
        body = citizen()
        await idp.client.post("/api/v1/auth/register", json=body)
        for _ in range(2):
            await idp.authorize(body["nik"], "salah-salah-salah")
        code, _, locked = await idp.authorize(body["nik"], body["password"])
        assert code == ""
        assert locked.status_code == 429
        assert "retry-after" in locked.headers
