"""The circuit breaker's state machine, on a fake clock."""

from __future__ import annotations

from cimahi_gateway.routing.breaker import CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(threshold: int = 3, reset: float = 10.0) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(failure_threshold=threshold, reset_seconds=reset, clock=clock), clock


class TestCircuitBreaker:
    def test_stays_closed_below_the_threshold(self) -> None:
        breaker, _ = make()
        breaker.failure()
        breaker.failure()
        assert breaker.retry_after() == 0.0
        assert breaker.state == "closed"

    def test_a_success_resets_the_consecutive_count(self) -> None:
        breaker, _ = make()
        for _ in range(5):
            breaker.failure()
            breaker.failure()
            breaker.success()
        assert breaker.state == "closed"

    def test_opens_at_the_threshold_and_says_how_long(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        assert breaker.state == "open"
        assert breaker.retry_after() == 10.0
        clock.now += 4
        assert breaker.retry_after() == 6.0

    def test_half_open_lets_exactly_one_trial_through(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        clock.now += 10
        assert breaker.retry_after() == 0.0
        assert breaker.state == "half-open"
        assert breaker.retry_after() > 0

    def test_a_successful_trial_closes_it(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        clock.now += 10
        breaker.retry_after()
        breaker.success()
        assert breaker.state == "closed"
        assert breaker.retry_after() == 0.0
        breaker.failure()
        assert breaker.state == "closed"

    def test_a_failed_trial_opens_it_for_another_period(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        clock.now += 10
        breaker.retry_after()
        breaker.failure()
        assert breaker.state == "open"
        assert breaker.retry_after() == 10.0

    def test_verdicts_while_open_change_nothing(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        clock.now += 5
        breaker.success()
        breaker.failure()
        assert breaker.state == "open"
        assert breaker.retry_after() == 5.0

    def test_an_abandoned_trial_frees_the_slot(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        clock.now += 10
        assert breaker.retry_after() == 0.0
        breaker.abandon()
        assert breaker.retry_after() == 0.0

    def test_a_lost_trial_is_replaced_after_the_reset_period(self) -> None:
        breaker, clock = make()
        for _ in range(3):
            breaker.failure()
        clock.now += 10
        assert breaker.retry_after() == 0.0
        clock.now += 9
        assert breaker.retry_after() > 0
        clock.now += 1
        assert breaker.retry_after() == 0.0
