"""The accessible human check (R-ID-5): a plain-language sum for people who cannot drag a slider.

Screen-reader and keyboard users get a short question in Chinese and English ("7 加 5 等于几？").
The answer is kept only in Redis under a random id with a TTL and is checked once (GETDEL), the
same way as the slider; a right answer earns the same human pass.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from random import Random

from redis.asyncio import Redis

from tqr_identity.security.human_pass import HumanPassStore

DEFAULT_CHALLENGE_TTL_SECONDS = 120

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                   "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class TextChallenge:
    challenge_id: str
    question_zh: str
    question_en: str


def parse_answer(text: str) -> int | None:
    """A whole number typed as digits (also full-width: ``１２``) or Chinese numerals up to 99."""
    clean = "".join(text.split())
    if not clean:
        return None
    if clean.isdigit():
        return int(clean)  # int() understands full-width and other Unicode decimal digits
    if "十" in clean:
        tens_text, _, units_text = clean.partition("十")
        tens = _CHINESE_DIGITS.get(tens_text) if tens_text else 1
        units = _CHINESE_DIGITS.get(units_text) if units_text else 0
        if tens is None or units is None:
            return None
        return tens * 10 + units
    if len(clean) == 1:
        return _CHINESE_DIGITS.get(clean)
    return None


def make_question(rng: Random) -> tuple[str, str, int]:
    """(question in Chinese, question in English, answer): a sum or a difference of small numbers."""
    if rng.randrange(2) == 0:
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        return f"{a} 加 {b} 等于几？", f"What is {a} plus {b}?", a + b
    a = rng.randint(6, 18)
    b = rng.randint(1, min(9, a - 1))
    return f"{a} 减 {b} 等于几？", f"What is {a} minus {b}?", a - b


class TextChallengeStore:
    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        passes: HumanPassStore,
        ttl_seconds: int = DEFAULT_CHALLENGE_TTL_SECONDS,
        rng: Random | None = None,
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._passes = passes
        self._ttl = ttl_seconds
        self._rng: Random = rng or secrets.SystemRandom()

    def _key(self, challenge_id: str) -> str:
        return f"{self._prefix}:text-challenge:{challenge_id}"

    async def issue(self) -> TextChallenge:
        question_zh, question_en, answer = make_question(self._rng)
        challenge_id = secrets.token_urlsafe(16)
        await self._redis.set(self._key(challenge_id), str(answer), ex=self._ttl)
        return TextChallenge(challenge_id, question_zh, question_en)

    async def verify(self, challenge_id: str, answer: str) -> bool:
        """True for the right answer. Consumes the challenge either way."""
        if not challenge_id:
            return False
        stored = await self._redis.getdel(self._key(challenge_id))
        if stored is None:
            return False
        given = parse_answer(answer)
        return given is not None and given == int(stored)

    async def solve(self, challenge_id: str, answer: str) -> str | None:
        """Verify, and on success return a new human pass token; None when the check failed."""
        if await self.verify(challenge_id, answer):
            return await self._passes.issue()
        return None

    async def redeem_pass(self, token: str) -> bool:
        return await self._passes.redeem(token)
