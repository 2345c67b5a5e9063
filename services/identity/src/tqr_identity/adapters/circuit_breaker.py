"""A circuit breaker for calls to an outside service (R-ID-9: the national identity authority).

Closed: calls go through; ``failure_threshold`` failures in a row open it. Open: calls are refused
at once (the person hears "try again later" without waiting for a deadline, and an authority that
is down is not flooded). After ``cool_down`` one call is let through as a probe (half-open): its
success closes the breaker, its failure opens it for another cool-down. Time comes from the
injectable clock, so tests move it instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import IntEnum

from servicekit.clock import Clock


class BreakerState(IntEnum):
    """Values of the breaker-state gauge (ordered by how bad things are)."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    def __init__(self, clock: Clock, *, failure_threshold: int, cool_down: timedelta,
                 on_change: Callable[[BreakerState], None] | None = None) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._clock = clock
        self._threshold = failure_threshold
        self._cool_down = cool_down
        self._on_change = on_change or (lambda _state: None)
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: datetime | None = None
        self._probe_in_flight = False
        self._on_change(self._state)

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self) -> bool:
        """May a call go out now? A True in half-open state is the one probe: the caller must
        report its result (``record_success`` / ``record_failure``)."""
        if self._state is BreakerState.OPEN:
            assert self._opened_at is not None
            if self._clock.now() - self._opened_at < self._cool_down:
                return False
            self._set(BreakerState.HALF_OPEN)
        if self._state is BreakerState.HALF_OPEN:
            if self._probe_in_flight:
                return False  # one probe at a time: the others wait for its verdict
            self._probe_in_flight = True
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._probe_in_flight = False
        self._set(BreakerState.CLOSED)

    def record_failure(self) -> None:
        self._probe_in_flight = False
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
            self._opened_at = self._clock.now()
            self._set(BreakerState.OPEN)

    def _set(self, state: BreakerState) -> None:
        if state is not self._state:
            self._state = state
            self._on_change(state)
