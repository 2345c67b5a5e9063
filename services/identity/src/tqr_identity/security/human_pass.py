"""The "human pass" (R-ID-5): proof that a human check was passed a moment ago.

Solving a slider or a text challenge yields one pass token. The SMS-code step and login each
redeem one, so a script cannot solve one puzzle and then ask for many codes. Tokens are
single-use (GETDEL) and short-lived (a Redis TTL). Redis keeps only a SHA-256 of the token, so a
dump of Redis gives no usable passes.
"""

from __future__ import annotations

import hashlib
import secrets

from redis.asyncio import Redis

DEFAULT_PASS_TTL_SECONDS = 300


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class HumanPassStore:
    def __init__(self, redis: Redis, key_prefix: str, ttl_seconds: int = DEFAULT_PASS_TTL_SECONDS) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._ttl = ttl_seconds

    def _key(self, token: str) -> str:
        return f"{self._prefix}:human-pass:{_digest(token)}"

    async def issue(self) -> str:
        """A new pass token (256 random bits) valid for ``ttl_seconds`` and for one redemption."""
        token = secrets.token_urlsafe(32)
        await self._redis.set(self._key(token), b"1", ex=self._ttl)
        return token

    async def redeem(self, token: str) -> bool:
        """True once for a live token; False for an unknown, used or expired one."""
        if not token:
            return False
        return await self._redis.getdel(self._key(token)) is not None
