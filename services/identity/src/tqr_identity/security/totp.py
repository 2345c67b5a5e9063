"""The second factor of staff accounts: time-based one-time passwords (RFC 6238) with pyotp.

A code is accepted within one 30-second step either side of now (phone clocks drift). Replay
protection: the step of the last accepted code is kept per subject in Redis, and a code of that
step or an earlier one is refused — so a code seen over someone's shoulder cannot be used again,
not even within its window. The secret itself is stored (encrypted) by the account's repository;
this module only makes and checks it. Guessing is limited by the login throttle (R-ID-8).
"""

from __future__ import annotations

import hmac
from typing import Any

import pyotp
from redis.asyncio import Redis
from servicekit.clock import Clock

DEFAULT_ISSUER = "教师资格定期注册"

_CLAIM_STEP = """
local last = redis.call('GET', KEYS[1])
if last and tonumber(last) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def new_secret() -> str:
    """A new base32 secret of 160 random bits (the length RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


class TotpVerifier:
    def __init__(
        self,
        redis: Redis,
        clock: Clock,
        key_prefix: str,
        issuer: str = DEFAULT_ISSUER,
        valid_window: int = 1,
        interval: int = 30,
        digits: int = 6,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = f"{key_prefix}:totp"
        self._issuer = issuer
        self._window = valid_window
        self._interval = interval
        self._digits = digits
        self._claim: Any = redis.register_script(_CLAIM_STEP)

    def _totp(self, secret: str) -> pyotp.TOTP:
        return pyotp.TOTP(secret, digits=self._digits, interval=self._interval, issuer=self._issuer)

    def provisioning_uri(self, secret: str, account_name: str) -> str:
        """The ``otpauth://`` URI an authenticator app reads from a QR code."""
        return self._totp(secret).provisioning_uri(name=account_name, issuer_name=self._issuer)

    def current_code(self, secret: str) -> str:
        """The code of the current step by the injected clock (for tests and enrolment checks)."""
        totp = self._totp(secret)
        return totp.generate_otp(totp.timecode(self._clock.now()))

    async def verify(self, subject_id: str, secret: str, code: str) -> bool:
        """True when ``code`` belongs to a step within the window and no code of that step or a
        later one was accepted for ``subject_id`` before."""
        clean = "".join(code.split())
        if len(clean) != self._digits or not clean.isdigit():
            return False
        totp = self._totp(secret)
        now_step = totp.timecode(self._clock.now())
        matched: int | None = None
        for step in range(now_step - self._window, now_step + self._window + 1):
            if hmac.compare_digest(totp.generate_otp(step), clean):
                matched = step
        if matched is None:
            return False
        # Kept long enough that every step still inside the window stays covered.
        keep_ms = (2 * self._window + 2) * self._interval * 1000
        claimed = await self._claim(keys=[f"{self._prefix}:last-step:{subject_id}"], args=[matched, keep_ms])
        return bool(claimed)
