"""How many human checks one client may be issued (R-ID-5, R-ID-15).

Each slider is drawn for its request (a few milliseconds of CPU and about 16 KB), and a solved
check is what stands before every answer about an account, so handing them out without a bound
would let one client burn CPU and farm puzzles. A fixed window per client address: at most
``per_client`` issues in ``window_seconds`` (both kinds count together: the text question is the
cheaper one to farm). Keys carry a SHA-256 of the client id, never the address; a TTL ends each
window's counter.
"""

from __future__ import annotations

import hashlib
import math

from redis.asyncio import Redis
from servicekit.clock import Clock
from servicekit.errors import TooManyRequests

RULE = "R-ID-5"


class HumanCheckIssueLimit:
    def __init__(self, redis: Redis, clock: Clock, key_prefix: str, *, per_client: int,
                 window_seconds: int) -> None:
        if per_client < 1 or window_seconds < 1:
            raise ValueError("the human-check issue limit and its window must be positive")
        self._redis = redis
        self._clock = clock
        self._prefix = f"{key_prefix}:human-check-issues"
        self.per_client = per_client
        self.window_seconds = window_seconds

    async def take(self, client_id: str) -> None:
        """Count one issue, or raise ``TooManyRequests("R-ID-5")`` when the client's window is full."""
        now = self._clock.now().timestamp()
        window = int(now // self.window_seconds)
        digest = hashlib.sha256(client_id.encode()).hexdigest()
        key = f"{self._prefix}:{digest}:{window}"
        left = max(1, math.ceil((window + 1) * self.window_seconds - now))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, left + 1)
            count, _ = await pipe.execute()
        if int(count) <= self.per_client:
            return
        minutes = max(1, math.ceil(left / 60))
        raise TooManyRequests(
            RULE,
            f"安全验证获取过于频繁，请在 {minutes} 分钟后再试",
            f"Too many security checks were asked for from your connection; please try again in {minutes} minutes",
            retry_after=left,
        )
