"""Send one message with in-process retries, for callers that deliver synchronously (codes).

The event consumer may instead persist the attempt count and schedule the next attempt with
``RetryPolicy.delay_after``; both use the same policy.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tqr_notification.domain.delivery import DeliveryResult
from tqr_notification.domain.retry import RetryPolicy


@dataclass(frozen=True)
class RetryOutcome:
    result: DeliveryResult
    attempts: int


async def send_with_retries(
    attempt: Callable[[], Awaitable[DeliveryResult]],
    policy: RetryPolicy,
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> RetryOutcome:
    """Call ``attempt`` until it is sent, fails permanently, or the policy's attempts are used up."""
    chooser = rng or random.Random()
    made = 0
    while True:
        result = await attempt()
        made += 1
        if not policy.should_retry(result, made):
            return RetryOutcome(result, made)
        await sleep(policy.delay_after(made, chooser))
