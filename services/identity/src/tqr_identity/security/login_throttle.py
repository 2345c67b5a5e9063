"""Failed sign-ins counted per account and per client (R-ID-8).

Each failure is a member of a sorted set scored by the clock's time (a sliding window). When an
account collects ``account_max_failures`` within ``account_window``, it is locked for
``account_lock``; likewise a client (an IP address) that fails ``client_max_failures`` times,
whatever accounts it tried, is locked. One Lua script records a failure and decides the lock,
so concurrent attempts cannot slip past the limit. Lock ends are times from the injected
``Clock`` (compared here), and Redis TTLs clean the keys up.

``account_key`` is an opaque string chosen by the caller — already a keyed hash of the document
type and number, so no personal number reaches Redis — and it should be derived the same way
whether or not the account exists, so that throttling does not reveal which accounts exist.
``client_id`` is opaque too; it is hashed before use as a key.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from servicekit.clock import Clock
from servicekit.errors import TooManyRequests

from tqr_identity.metrics import LOGIN_THROTTLED

RULE = "R-ID-8"

_RECORD_FAILURE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], window)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[4]), 'PX', ARGV[4])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class LoginThrottlePolicy:
    account_max_failures: int = 5
    account_window: timedelta = timedelta(minutes=15)
    account_lock: timedelta = timedelta(minutes=15)
    client_max_failures: int = 20
    client_window: timedelta = timedelta(minutes=15)
    client_lock: timedelta = timedelta(minutes=15)


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


class LoginThrottle:
    def __init__(
        self, redis: Redis, clock: Clock, key_prefix: str, policy: LoginThrottlePolicy | None = None
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = f"{key_prefix}:login"
        self.policy = policy or LoginThrottlePolicy()
        self._record: Any = redis.register_script(_RECORD_FAILURE)

    def _account_keys(self, account_key: str) -> tuple[str, str]:
        return f"{self._prefix}:account-failures:{account_key}", f"{self._prefix}:account-lock:{account_key}"

    def _client_keys(self, client_id: str) -> tuple[str, str]:
        digest = hashlib.sha256(client_id.encode()).hexdigest()
        return f"{self._prefix}:client-failures:{digest}", f"{self._prefix}:client-lock:{digest}"

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def check(self, account_key: str, client_id: str) -> None:
        """Raise ``TooManyRequests("R-ID-8")`` while the account or the client is locked."""
        account_lock = self._account_keys(account_key)[1]
        client_lock = self._client_keys(client_id)[1]
        account_until, client_until = await self._redis.mget(account_lock, client_lock)
        now = self._now_ms()
        wait_ms = max(int(until) - now for until in (account_until or 0, client_until or 0))
        if wait_ms <= 0:
            return
        seconds = max(1, math.ceil(wait_ms / 1000))
        minutes = max(1, math.ceil(seconds / 60))
        LOGIN_THROTTLED.inc()
        raise TooManyRequests(
            RULE,
            f"登录尝试次数过多，请在 {minutes} 分钟后再试",
            f"Too many sign-in attempts; please try again in {minutes} minutes",
            retry_after=seconds,
        )

    async def record_failure(self, account_key: str, client_id: str) -> None:
        """Count one failed sign-in against both the account and the client."""
        now = self._now_ms()
        policy = self.policy
        member = f"{now}:{secrets.token_hex(8)}"  # unique, so failures in the same millisecond all count
        for keys, limit, window, lock in (
            (self._account_keys(account_key), policy.account_max_failures, policy.account_window,
             policy.account_lock),
            (self._client_keys(client_id), policy.client_max_failures, policy.client_window,
             policy.client_lock),
        ):
            await self._record(keys=list(keys), args=[now, _ms(window), limit, _ms(lock), member])

    async def record_success(self, account_key: str) -> None:
        """Forget the account's failures. The client's count stays: otherwise a guesser with one
        account of their own could reset it between guesses at other accounts."""
        await self._redis.delete(self._account_keys(account_key)[0])

    async def unlock_account(self, account_key: str) -> None:
        """End an account's lock and forget its failures (for staff helping a person)."""
        await self._redis.delete(*self._account_keys(account_key))
