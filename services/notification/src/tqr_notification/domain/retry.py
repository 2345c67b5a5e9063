"""When to try a failed delivery again: exponential back-off with full jitter.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of many
messages that failed together (a provider outage) instead of sending them back in one wave.
Only transient failures are retried, and never more than ``max_attempts`` attempts in total.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tqr_notification.domain.delivery import DeliveryResult

# 2**62 seconds is far beyond any cap; stops the float from overflowing for absurd attempt numbers.
_MAX_EXPONENT = 62


def next_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 for the first attempt).

    The ceiling is ``min(cap, base * 2 ** (attempt - 1))``; the delay is drawn uniformly from
    ``[0, ceiling]``.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    ceiling = min(cap, base * 2 ** min(attempt - 1, _MAX_EXPONENT))
    return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts a message gets in total and how far apart they are.

    Codes (R-ID-6) use a short policy: a code that arrives after it expired is useless.
    """

    max_attempts: int = 6
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def should_retry(self, result: DeliveryResult, attempts_made: int) -> bool:
        return result.retryable and attempts_made < self.max_attempts

    def delay_after(self, attempts_made: int, rng: random.Random) -> float:
        return next_delay(attempts_made, self.base_seconds, self.cap_seconds, rng)


# Five minutes of validity: three quick attempts within about fifteen seconds.
CODE_POLICY = RetryPolicy(max_attempts=3, base_seconds=1.0, cap_seconds=8.0)
