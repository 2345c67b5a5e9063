"""Daily caps on support requests sent without signing in (R-ID-11).

A public form that takes document photos is worth abusing (flooding reviewers, probing which
documents are registered), so each China calendar day allows at most ``per_client`` requests from
one client (an IP address) and ``per_document`` for one document number. The document is counted
whether or not an account exists for it, so the caps reveal nothing about registration.

One Lua script checks both counters and increments both only when neither is full, so concurrent
requests cannot slip past. Keys carry a SHA-256 of the client id and the caller's keyed hash of
the document (never the clear number); Redis TTLs end each day's counters.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from redis.asyncio import Redis
from servicekit.clock import Clock
from servicekit.errors import TooManyRequests

RULE = "R-ID-11"
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")

_TAKE = """
for i = 1, 2 do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[i]) then
    return i
  end
end
for i = 1, 2 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], tonumber(ARGV[3]))
end
return 0
"""


@dataclass(frozen=True)
class SupportLimitPolicy:
    per_client: int = 5
    per_document: int = 3


def _seconds_to_next_china_midnight(now: datetime) -> int:
    local = now.astimezone(CHINA_TIME)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, math.ceil((midnight - local).total_seconds()))


class SupportRequestLimits:
    def __init__(self, redis: Redis, clock: Clock, key_prefix: str,
                 policy: SupportLimitPolicy | None = None) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = f"{key_prefix}:support-anon"
        self.policy = policy or SupportLimitPolicy()
        self._take: Any = redis.register_script(_TAKE)

    async def take(self, document_key: str, client_id: str) -> None:
        """Count one request, or raise ``TooManyRequests("R-ID-11")`` when a cap is reached."""
        now = self._clock.now()
        day = now.astimezone(CHINA_TIME).date().isoformat()
        client = hashlib.sha256(client_id.encode()).hexdigest()
        keys = [f"{self._prefix}:{day}:client:{client}", f"{self._prefix}:{day}:document:{document_key}"]
        ttl = _seconds_to_next_china_midnight(now) + 60  # a little slack past midnight
        full = int(await self._take(keys=keys, args=[self.policy.per_client, self.policy.per_document, ttl]))
        if full:
            wait = _seconds_to_next_china_midnight(now)
            raise TooManyRequests(
                RULE,
                "今天提交的申请次数已达上限，请明天再试",
                "The number of requests for today has been reached; please try again tomorrow",
                retry_after=wait,
            )
