"""The per-recipient limit counted in Redis: a sliding window per (bucket, HMAC of destination).

Each admitted message is a member of a sorted set scored by its time; one Lua script drops what
left the window, checks the count and adds the message atomically, so concurrent consumers never
admit more than the limit. Members are message ids, so a retried delivery of the same message is
counted once. Times come from the injected ``Clock`` so tests move time instead of sleeping.
"""

from __future__ import annotations

import math
from typing import Any

from redis.asyncio import Redis
from servicekit.clock import Clock

from tqr_notification.domain.recipient_limit import (
    LimitBucket,
    LimitDecision,
    RecipientLimitPolicy,
    recipient_digest,
)

_ADMIT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local member = ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZSCORE', key, member) then
  return {1, redis.call('ZCARD', key), 0}
end
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
  return {1, count + 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, count, tonumber(oldest[2]) + window - now}
"""


class RedisRecipientLimiter:
    def __init__(
        self,
        redis: Redis,
        hmac_key: bytes,
        clock: Clock,
        policy: RecipientLimitPolicy | None = None,
        key_prefix: str = "tqr:notification",
    ) -> None:
        if len(hmac_key) < 16:
            raise ValueError("the recipient HMAC key must be at least 16 bytes")
        self._redis = redis
        self._hmac_key = hmac_key
        self._clock = clock
        self._policy = policy or RecipientLimitPolicy()
        self._prefix = key_prefix
        self._script: Any = redis.register_script(_ADMIT)

    def key_for(self, destination: str, bucket: LimitBucket) -> str:
        return (
            f"{self._prefix}:recipient-limit:{bucket.value}:{recipient_digest(self._hmac_key, destination)}"
        )

    async def admit(self, destination: str, bucket: LimitBucket, message_id: str) -> LimitDecision:
        rule = self._policy.rule_for(bucket)
        now_ms = int(self._clock.now().timestamp() * 1000)
        window_ms = rule.window_seconds * 1000
        allowed, count, retry_ms = await self._script(
            keys=[self.key_for(destination, bucket)],
            args=[now_ms, window_ms, rule.max_messages, message_id],
        )
        return LimitDecision(
            allowed=bool(allowed),
            bucket=bucket,
            count=int(count),
            limit=rule.max_messages,
            window_seconds=rule.window_seconds,
            retry_after_seconds=max(1, math.ceil(int(retry_ms) / 1000)) if not allowed else 0,
        )
