"""The slider human check (R-ID-5): issue a puzzle, check the dropped position once.

The answer (the gap's x) is kept only in Redis under a random challenge id with a short TTL. The
client gets the id, the two images, the piece's y and the width of the track; never x. Checking
reads and deletes the answer in one step (GETDEL), so every challenge is checked at most once,
whatever the outcome: a script cannot try positions one after another.

A right answer earns a human pass (``human_pass``), which the SMS-code step and login redeem.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from tqr_identity.security.human_pass import HumanPassStore
from tqr_identity.security.slider_images import BACKGROUND_MEDIA_TYPE, SliderChallengeFactory

__all__ = ["Challenge", "SliderChallengeFactory", "SliderStore"]

DEFAULT_CHALLENGE_TTL_SECONDS = 120
DEFAULT_TOLERANCE_PX = 4


@dataclass(frozen=True)
class Challenge:
    """What the client receives. ``width`` is the background width (the length of the track)."""

    challenge_id: str
    background_image: bytes
    piece_png: bytes
    piece_y: int
    width: int
    height: int
    background_media_type: str = BACKGROUND_MEDIA_TYPE


class SliderStore:
    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        passes: HumanPassStore,
        factory: SliderChallengeFactory | None = None,
        ttl_seconds: int = DEFAULT_CHALLENGE_TTL_SECONDS,
        tolerance_px: int = DEFAULT_TOLERANCE_PX,
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._passes = passes
        self._factory = factory or SliderChallengeFactory()
        self._ttl = ttl_seconds
        self._tolerance = tolerance_px

    def _key(self, challenge_id: str) -> str:
        return f"{self._prefix}:slider:{challenge_id}"

    async def issue(self) -> Challenge:
        # Drawing takes a few milliseconds of CPU: keep it off the event loop.
        puzzle = await asyncio.to_thread(self._factory.make)
        challenge_id = secrets.token_urlsafe(16)
        await self._redis.set(self._key(challenge_id), str(puzzle.gap_x), ex=self._ttl)
        return Challenge(
            challenge_id=challenge_id,
            background_image=puzzle.background_image,
            piece_png=puzzle.piece_png,
            piece_y=puzzle.gap_y,
            width=puzzle.width,
            height=puzzle.height,
        )

    async def verify(self, challenge_id: str, x: int) -> bool:
        """True when ``x`` is within the tolerance of the gap. Consumes the challenge either way."""
        if not challenge_id:
            return False
        stored = await self._redis.getdel(self._key(challenge_id))
        if stored is None:
            return False  # unknown, expired or already used
        return abs(int(stored) - int(x)) <= self._tolerance

    async def solve(self, challenge_id: str, x: int) -> str | None:
        """Verify, and on success return a new human pass token; None when the check failed."""
        if await self.verify(challenge_id, x):
            return await self._passes.issue()
        return None

    async def redeem_pass(self, token: str) -> bool:
        """Redeem a human pass (from this store or from a text challenge): True once per token."""
        return await self._passes.redeem(token)
