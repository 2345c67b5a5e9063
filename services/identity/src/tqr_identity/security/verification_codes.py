"""One-time verification codes (R-ID-6), kept in Redis.

Rules, each enforced atomically by one Lua script so that concurrent requests cannot slip past:

- a code is 6 digits from ``secrets``, valid 5 minutes, single use, and scoped to a purpose
  (a code for REGISTER does not work for RESET_PASSWORD) and, where the caller names one, to a
  subject (a CHANGE_CONTACT code to an address works only for the account that asked for it);
- Redis holds only an HMAC-SHA256 of the code (server secret), never the code;
- after 5 wrong tries the code is void; a new send replaces the previous code;
- 60 s between two sends to the same destination (whatever the purpose);
- at most 10 sends per destination and 20 per client (IP) per calendar day (China time).

The destination (a mobile number or e-mail address) and the client id are personal data: Redis
keys carry an HMAC of them, never the clear value.

How ``check`` answers (the design): ``True`` for the right code (which is then used up);
``False`` for a wrong guess while the code is live (the 5th wrong guess also voids it);
``RuleViolation("R-ID-6")`` when there is no live code at all — never sent, expired, used, or
voided — because then the person must ask for a new code rather than type again.

Callers redeem a human pass (R-ID-5) before ``issue``; this module does not know about passes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from servicekit.clock import Clock
from servicekit.errors import RuleViolation, TooManyRequests

RULE = "R-ID-6"
CHINA_TIME = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving: a fixed offset is exact


class CodePurpose(StrEnum):
    REGISTER = "REGISTER"
    LOGIN = "LOGIN"
    RESET_PASSWORD = "RESET_PASSWORD"  # noqa: S105 - a purpose name, not a password
    CHANGE_CONTACT = "CHANGE_CONTACT"


@dataclass(frozen=True)
class CodePolicy:
    validity_seconds: int = 300
    max_wrong_attempts: int = 5
    resend_cooldown_seconds: int = 60
    daily_cap_per_destination: int = 10
    daily_cap_per_client: int = 20


_ISSUE = """
local now = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[2])
local last = redis.call('GET', KEYS[1])
if last and now - tonumber(last) < cooldown then
  return {1, cooldown - (now - tonumber(last))}
end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[3]) then return {2, 0} end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[4]) then return {3, 0} end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if cooldown > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', cooldown) end
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[4], 'hash', ARGV[6], 'expires_at', ARGV[7], 'wrong', 0)
redis.call('PEXPIRE', KEYS[4], ARGV[8])
return {0, 0}
"""

_CHECK = """
local data = redis.call('HMGET', KEYS[1], 'hash', 'expires_at')
if not data[1] then return 'missing' end
if tonumber(ARGV[1]) >= tonumber(data[2]) then
  redis.call('DEL', KEYS[1])
  return 'expired'
end
if data[1] == ARGV[2] then
  -- not a constant-time compare, but a guesser controls only the HMAC input, not its output
  redis.call('DEL', KEYS[1])
  return 'ok'
end
if redis.call('HINCRBY', KEYS[1], 'wrong', 1) >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  return 'void'
end
return 'wrong'
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class VerificationCodes:
    def __init__(
        self,
        redis: Redis,
        secret: bytes,
        clock: Clock,
        key_prefix: str,
        policy: CodePolicy | None = None,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the verification-code secret must be at least 16 bytes")
        self._redis = redis
        self._secret = secret
        self._clock = clock
        self._prefix = f"{key_prefix}:vcode"
        self.policy = policy or CodePolicy()
        self._issue_script: Any = redis.register_script(_ISSUE)
        self._check_script: Any = redis.register_script(_CHECK)

    def _hmac(self, label: str, value: str) -> str:
        return hmac.new(self._secret, f"{label}|{value}".encode(), hashlib.sha256).hexdigest()

    def destination_digest(self, destination: str) -> str:
        """The key-safe stand-in for a destination; spaces and letter case do not matter."""
        return self._hmac("destination", "".join(destination.split()).lower())

    def _code_hash(self, purpose: CodePurpose, destination_digest: str, code: str, subject: str) -> str:
        return self._hmac("code", f"{purpose.value}|{destination_digest}|{subject}|{code.strip()}")

    def _code_key(self, purpose: CodePurpose, destination_digest: str, subject: str) -> str:
        scope = f"{destination_digest}:{self._hmac('subject', subject)}" if subject else destination_digest
        return f"{self._prefix}:code:{purpose.value}:{scope}"

    async def issue(self, purpose: CodePurpose, destination: str, client_id: str, subject: str = "") -> str:
        """A new code for ``destination`` (returned in clear for the sender only, never stored).

        Raises ``TooManyRequests("R-ID-6")`` with ``retry_after`` seconds when the resend
        cooldown or a daily cap refuses; a refusal does not count against the caps.
        """
        policy = self.policy
        now = self._clock.now()
        now_ms = int(now.timestamp() * 1000)
        day = now.astimezone(CHINA_TIME)
        next_midnight = datetime.combine(day.date() + timedelta(days=1), datetime.min.time(), CHINA_TIME)
        seconds_to_midnight = max(1, math.ceil((next_midnight - now).total_seconds()))
        digest = self.destination_digest(destination)
        stamp = day.strftime("%Y%m%d")
        code = f"{secrets.randbelow(10**6):06d}"
        refused, wait_ms = await self._issue_script(
            keys=[
                f"{self._prefix}:cooldown:{digest}",
                f"{self._prefix}:day:destination:{stamp}:{digest}",
                f"{self._prefix}:day:client:{stamp}:{self._hmac('client', client_id)}",
                self._code_key(purpose, digest, subject),
            ],
            args=[
                now_ms,
                policy.resend_cooldown_seconds * 1000,
                policy.daily_cap_per_destination,
                policy.daily_cap_per_client,
                (seconds_to_midnight + 3600) * 1000,  # an hour's margin for clock differences
                self._code_hash(purpose, digest, code, subject),
                now_ms + policy.validity_seconds * 1000,
                policy.validity_seconds * 1000,
            ],
        )
        refused = int(refused)
        if refused == 1:
            seconds = max(1, math.ceil(int(wait_ms) / 1000))
            raise TooManyRequests(
                RULE,
                f"验证码发送过于频繁，请在 {seconds} 秒后再试",
                f"A code was sent moments ago; please wait {seconds} seconds before asking again",
                retry_after=seconds,
            )
        if refused == 2:
            raise TooManyRequests(
                RULE,
                "该号码今天获取验证码的次数已达上限，请明天再试",
                "This number has reached today's limit of verification codes; please try again tomorrow",
                retry_after=seconds_to_midnight,
            )
        if refused == 3:
            raise TooManyRequests(
                RULE,
                "您今天获取验证码的次数过多，请明天再试",
                "Too many verification codes were requested from your connection today; please try "
                "again tomorrow",
                retry_after=seconds_to_midnight,
            )
        return code

    async def check(self, purpose: CodePurpose, destination: str, code: str, subject: str = "") -> bool:
        """True for the right code (used up now); False for a wrong guess.

        Raises ``RuleViolation("R-ID-6")`` when no live code exists for this purpose and
        destination (never sent, expired, already used, or void after too many wrong tries).
        """
        digest = self.destination_digest(destination)
        outcome = _text(
            await self._check_script(
                keys=[self._code_key(purpose, digest, subject)],
                args=[
                    int(self._clock.now().timestamp() * 1000),
                    self._code_hash(purpose, digest, code, subject),
                    self.policy.max_wrong_attempts,
                ],
            )
        )
        if outcome == "ok":
            return True
        if outcome in ("wrong", "void"):
            return False
        raise RuleViolation(
            RULE,
            "验证码已失效，请重新获取",
            "This verification code is no longer valid; please request a new one",
        )
