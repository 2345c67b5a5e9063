"""Staff enrolments between their two steps (R-STAFF-5): who, which new TOTP secret, whether a
password comes too. Kept in Redis for a short while under a digest of the token the browser holds,
so any replica finishes what another started and an abandoned start leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis


class PendingEnrolments:
    def __init__(self, redis: Redis, key_prefix: str, lifetime: timedelta = timedelta(minutes=15)) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}:staff-enrolment"
        self._lifetime_ms = int(lifetime.total_seconds() * 1000)

    def _key(self, token: str) -> str:
        return f"{self._prefix}:{hashlib.sha256(token.encode()).hexdigest()}"

    async def put(self, token: str, pending: dict[str, Any]) -> None:
        await self._redis.set(self._key(token), json.dumps(pending), px=self._lifetime_ms)

    async def get(self, token: str) -> dict[str, Any] | None:
        raw = await self._redis.get(self._key(token)) if token else None
        return json.loads(raw) if raw else None

    async def drop(self, token: str) -> None:
        await self._redis.delete(self._key(token))
