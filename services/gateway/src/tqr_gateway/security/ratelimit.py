"""A Redis rate limiter (fixed window per client and route group) used as a FastAPI dependency.

Routes declare ``dependencies=[Depends(RateLimit("login", limit=10, window_seconds=60))]``; the app
puts a ``FixedWindowLimiter`` in ``app.state.rate_limiter`` at startup (nothing connects at import).
A refused request gets 429 with ``Retry-After``. If Redis is down the request is let through and a
warning is logged: losing the limit for a moment is better than losing the whole site.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from redis.asyncio import Redis
from redis.exceptions import RedisError
from servicekit.clock import Clock, SystemClock
from starlette.responses import Response

from tqr_gateway.security.client_address import client_address
from tqr_gateway.security.refusals import Refusal, refusal_response, refuses_with
from tqr_gateway.web.language import language_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CounterWindow:
    """The Redis counter of one client in the current window, and the seconds until it lapses."""

    key: str
    seconds_left: int


def counter_window(prefix: str, client: str, now: float, window_seconds: int) -> CounterWindow:
    """Windows are aligned to the epoch, so every replica counts into the same key."""
    window = int(now // window_seconds)
    # Client addresses are personal data: the key holds a digest, never the address.
    digest = hashlib.sha256(client.encode()).hexdigest()[:20]
    return CounterWindow(f"{prefix}{digest}:{window}", max(1, math.ceil((window + 1) * window_seconds - now)))


class FixedWindowLimiter:
    """Counts hits per (group, client) in windows of ``window_seconds`` aligned to the epoch.

    ``factor`` multiplies every route's limit (GATEWAY_RATE_LIMIT_FACTOR): for a site whose people
    share one address, such as an office behind one NAT."""

    def __init__(self, redis: Redis, *, prefix: str = "tqr:gateway:rl:", clock: Clock | None = None,
                 factor: int = 1) -> None:
        if factor < 1:
            raise ValueError("the rate limit factor must be at least 1")
        self.redis = redis
        self.prefix = prefix
        self.clock = clock or SystemClock()
        self.factor = factor

    async def hit(self, group: str, client: str, *, limit: int, window_seconds: int) -> int | None:
        """Record one request; ``None`` if allowed, else the seconds until the window ends."""
        window = counter_window(f"{self.prefix}{group}:", client, self.clock.now().timestamp(), window_seconds)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(window.key)
            pipe.expire(window.key, window.seconds_left + 1)  # the counter disappears once its window is over
            count, _ = await pipe.execute()
        return None if int(count) <= limit * self.factor else window.seconds_left


class RateLimited(HTTPException):
    """429 with Retry-After; ``detail`` is a problem document so the default handler says it well."""

    def __init__(self, retry_after: int, lang: str) -> None:
        self.refusal = Refusal(
            429, "TOO_MANY_REQUESTS",
            f"操作过于频繁，请在 {retry_after} 秒后再试。",
            f"Too many attempts. Please try again in {retry_after} seconds.",
            retry_after=retry_after,
        )
        detail: dict[str, Any] = {"code": self.refusal.code, "title": self.refusal.message(lang),
                                  "message_zh": self.refusal.message_zh, "message_en": self.refusal.message_en,
                                  "retry_after": retry_after}
        super().__init__(status_code=429, detail=detail, headers={"Retry-After": str(retry_after)})


@refuses_with(429)
class RateLimit:
    """The dependency: ``Depends(RateLimit(group, limit=…, window_seconds=…))``."""

    def __init__(self, group: str, *, limit: int, window_seconds: int) -> None:
        if limit < 1 or window_seconds < 1:
            raise ValueError("limit and window_seconds must be positive")
        self.group = group
        self.limit = limit
        self.window_seconds = window_seconds

    async def __call__(self, request: Request) -> None:
        limiter: FixedWindowLimiter | None = getattr(request.app.state, "rate_limiter", None)
        if limiter is None:
            raise RuntimeError("app.state.rate_limiter is not set; create a FixedWindowLimiter at startup")
        client = client_address(request)
        try:
            retry_after = await limiter.hit(self.group, client, limit=self.limit, window_seconds=self.window_seconds)
        except RedisError:
            log.warning("rate limiter unavailable; request allowed", extra={"group": self.group})
            return
        if retry_after is not None:
            raise RateLimited(retry_after, language_of(request))


async def rate_limited_handler(request: Request, exc: Exception) -> Response:
    """Exception handler for ``RateLimited``: a page for people, a problem document for programs."""
    if not isinstance(exc, RateLimited):
        raise exc
    renderer = getattr(request.app.state, "refusal_renderer", None)
    return refusal_response(request, exc.refusal, renderer)
