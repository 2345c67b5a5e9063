"""The circuit breaker in front of the real identity authority's HTTP provider (R-ID-13, for R-ID-9's
verification), moved by a ManualClock."""

from __future__ import annotations

from datetime import timedelta

from servicekit.clock import ManualClock
from tqr_identity.adapters.circuit_breaker import BreakerState, CircuitBreaker


def breaker(clock: ManualClock, changes: list[BreakerState] | None = None) -> CircuitBreaker:
    return CircuitBreaker(clock, failure_threshold=3, cool_down=timedelta(seconds=30),
                          on_change=changes.append if changes is not None else None)


def test_r_id_13_the_breaker_opens_only_after_that_many_failures_in_a_row() -> None:
    b = breaker(ManualClock())
    for _ in range(2):
        assert b.allow()
        b.record_failure()
    assert b.allow()
    b.record_success()  # a success in between starts the count again
    for _ in range(2):
        b.allow()
        b.record_failure()
    assert b.state is BreakerState.CLOSED and b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN and not b.allow()


def test_r_id_13_after_the_cool_down_one_probe_goes_out_and_its_success_closes_the_breaker() -> None:
    clock, changes = ManualClock(), []
    b = breaker(clock, changes)
    for _ in range(3):
        b.allow()
        b.record_failure()
    clock.advance(seconds=29)
    assert not b.allow()
    clock.advance(seconds=1)
    assert b.allow() and b.state is BreakerState.HALF_OPEN
    assert not b.allow()  # a second caller waits for the probe's verdict
    b.record_success()
    assert b.state is BreakerState.CLOSED and b.allow() and b.allow()
    assert changes == [BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


def test_r_id_13_a_failed_probe_opens_the_breaker_for_another_cool_down() -> None:
    clock = ManualClock()
    b = breaker(clock)
    for _ in range(3):
        b.allow()
        b.record_failure()
    clock.advance(seconds=30)
    assert b.allow()
    b.record_failure()
    assert b.state is BreakerState.OPEN and not b.allow()
    clock.advance(seconds=29)
    assert not b.allow()
    clock.advance(seconds=1)
    assert b.allow()
