"""Failed sign-ins (R-ID-8, R-ID-15): locks per (account, client), per client, and a back-off per account.

Three counts, each a sorted set of failures scored by the clock's time (a sliding window):

- **the pair (account, client)**: ``pair_max_failures`` within ``pair_window`` lock that pair for
  ``pair_lock``. Someone guessing at a teacher's password from one address locks only themselves
  out of that account: the teacher, from anywhere else, signs in as usual.
- **the client**: ``client_max_failures`` within ``client_window``, whatever accounts it tried, lock
  the client for ``client_lock`` (one address spraying guesses over many accounts).
- **the account, from everywhere**: once ``account_backoff_after`` failures fall within
  ``account_window``, each further attempt from an address that has not signed in to the account
  before must wait for its turn: one attempt, then a pause of 1 s, 2 s, 4 s… doubling with every
  further failure and never longer than ``account_backoff_max``. A guesser spread over many addresses
  gets about one guess per pause; a teacher is never kept out longer than the cap, and not at all
  from an address they signed in from (remembered for ``known_client_lifetime``).

Checking and taking the turn is one Lua script, so concurrent attempts cannot share a turn; each
lock end is a time from the injected ``Clock``, and Redis TTLs clean the keys up.

``account_key`` is an opaque string chosen by the caller — already a keyed hash of the document
type and number, so no personal number reaches Redis — derived the same way whether or not the
account exists, so that throttling does not reveal which accounts exist. ``client_id`` is opaque too;
it is hashed before use as a key.
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
if KEYS[2] ~= '' and count >= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], now + tonumber(ARGV[4]), 'PX', ARGV[4])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""

# KEYS: pair lock, client lock, known pair, account failures, account's next turn.
# ARGV: now, account window, back-off after, back-off cap (ms).
# Answers {0, 0} (go on), {1, ms} (pair or client locked) or {2, ms} (the account's turn is taken).
_CHECK = """
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, 2 do
  local locked_until = tonumber(redis.call('GET', KEYS[i]) or '0')
  if locked_until - now > wait then wait = locked_until - now end
end
if wait > 0 then return {1, wait} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {0, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[3])
if over < 0 then return {0, 0} end
local next_turn = tonumber(redis.call('GET', KEYS[5]) or '0')
if next_turn > now then return {2, next_turn - now} end
local pause = math.min(tonumber(ARGV[4]), 1000 * 2 ^ math.min(over, 30))
redis.call('SET', KEYS[5], now + pause, 'PX', math.ceil(pause))
return {0, 0}
"""


@dataclass(frozen=True)
class LoginThrottlePolicy:
    pair_max_failures: int = 5
    pair_window: timedelta = timedelta(minutes=15)
    pair_lock: timedelta = timedelta(minutes=15)
    client_max_failures: int = 20
    client_window: timedelta = timedelta(minutes=15)
    client_lock: timedelta = timedelta(minutes=15)
    account_backoff_after: int = 10
    account_window: timedelta = timedelta(minutes=60)
    account_backoff_max: timedelta = timedelta(seconds=60)
    known_client_lifetime: timedelta = timedelta(days=90)


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class LoginThrottle:
    def __init__(
        self, redis: Redis, clock: Clock, key_prefix: str, policy: LoginThrottlePolicy | None = None
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = f"{key_prefix}:login"
        self.policy = policy or LoginThrottlePolicy()
        self._record: Any = redis.register_script(_RECORD_FAILURE)
        self._check: Any = redis.register_script(_CHECK)

    def _pair_keys(self, account_key: str, client_id: str) -> tuple[str, str, str]:
        pair = _digest(f"{account_key}|{client_id}")
        return (f"{self._prefix}:pair-failures:{pair}", f"{self._prefix}:pair-lock:{pair}",
                f"{self._prefix}:known-pair:{pair}")

    def _client_keys(self, client_id: str) -> tuple[str, str]:
        digest = _digest(client_id)
        return f"{self._prefix}:client-failures:{digest}", f"{self._prefix}:client-lock:{digest}"

    def _account_keys(self, account_key: str) -> tuple[str, str]:
        return f"{self._prefix}:account-failures:{account_key}", f"{self._prefix}:account-turn:{account_key}"

    def _now_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    async def check(self, account_key: str, client_id: str) -> None:
        """Go on, or raise ``TooManyRequests("R-ID-8")``: while the pair or the client is locked, or
        while the account's turn is taken by another attempt (for clients it does not know)."""
        _, pair_lock, known = self._pair_keys(account_key, client_id)
        policy = self.policy
        refused, wait_ms = await self._check(
            keys=[pair_lock, self._client_keys(client_id)[1], known, *self._account_keys(account_key)],
            args=[self._now_ms(), _ms(policy.account_window), policy.account_backoff_after,
                  _ms(policy.account_backoff_max)],
        )
        if int(refused) == 0:
            return
        LOGIN_THROTTLED.inc()
        seconds = max(1, math.ceil(int(wait_ms) / 1000))
        if int(refused) == 2:
            raise TooManyRequests(
                RULE,
                f"该账号近期登录失败次数较多，为保护账号，请在 {seconds} 秒后再试",
                f"This account has had many failed sign-ins lately; to protect it, please try again in "
                f"{seconds} seconds",
                retry_after=seconds,
            )
        minutes = max(1, math.ceil(seconds / 60))
        raise TooManyRequests(
            RULE,
            f"登录尝试次数过多，请在 {minutes} 分钟后再试",
            f"Too many sign-in attempts; please try again in {minutes} minutes",
            retry_after=seconds,
        )

    async def record_failure(self, account_key: str, client_id: str) -> None:
        """Count one failed sign-in against the pair, the client and the account."""
        now = self._now_ms()
        policy = self.policy
        member = f"{now}:{secrets.token_hex(8)}"  # unique, so failures in the same millisecond all count
        pair_failures, pair_lock, _ = self._pair_keys(account_key, client_id)
        # Remembered so an administrator's unlock finds the pairs (their keys are digests).
        pairs_key = self._pairs_of_account(account_key)
        await self._redis.sadd(pairs_key, pair_failures.rsplit(":", 1)[1])
        await self._redis.pexpire(pairs_key, _ms(max(policy.pair_window, policy.pair_lock)) * 2)
        for keys, limit, window, lock in (
            ((pair_failures, pair_lock), policy.pair_max_failures, policy.pair_window, policy.pair_lock),
            (self._client_keys(client_id), policy.client_max_failures, policy.client_window, policy.client_lock),
            # The account's own count only slows attempts down (check); it locks nothing.
            ((self._account_keys(account_key)[0], ""), 0, policy.account_window, timedelta(0)),
        ):
            await self._record(keys=list(keys), args=[now, _ms(window), limit, _ms(lock), member])

    def _pairs_of_account(self, account_key: str) -> str:
        return f"{self._prefix}:account-pairs:{account_key}"

    async def unlock_account(self, account_key: str) -> None:
        """An administrator vouched for the person (R-STAFF-5): the account's back-off and every
        pair lock of it end, whichever addresses failed. Client locks stay: they guard other accounts."""
        pairs_key = self._pairs_of_account(account_key)
        pairs = [p.decode() if isinstance(p, bytes) else p for p in await self._redis.smembers(pairs_key)]
        keys = [f"{self._prefix}:{kind}:{pair}" for pair in pairs for kind in ("pair-failures", "pair-lock")]
        await self._redis.delete(*self._account_keys(account_key), pairs_key, *keys)

    async def record_success(self, account_key: str, client_id: str) -> None:
        """Forget the pair's failures and remember the client as one the account signs in from. The
        client's count stays (a guesser with an account of their own could reset it between guesses
        at other accounts), and so does the account's (its owner signing in ends no attack)."""
        pair_failures, _, known = self._pair_keys(account_key, client_id)
        await self._redis.delete(pair_failures)
        await self._redis.srem(self._pairs_of_account(account_key), pair_failures.rsplit(":", 1)[1])
        await self._redis.set(known, b"1", px=_ms(self.policy.known_client_lifetime))

    async def forgive(self, account_key: str, client_id: str) -> None:
        """The person proved who they are another way (a password reset with a code): their address
        is unlocked for the account and known to it from now on."""
        pair_failures, pair_lock, _ = self._pair_keys(account_key, client_id)
        await self._redis.delete(pair_failures, pair_lock)
        await self.record_success(account_key, client_id)
