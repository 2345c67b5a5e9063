"""The accessible human check (R-ID-5): a short word problem for people who cannot drag a slider.

Screen-reader and keyboard users get an everyday question in Chinese or English whose numbers are
written as words, with the story, the objects, the names and the sentence shape drawn at random
("篮子里有十二个梨，吃掉了五个。篮子里还剩几个？"). A screen reader reads it like any sentence;
what it no longer is, is a field that says "12 - 5" to a script that parses JSON. It is not proof
against a program that understands language: it is one layer among the per-client limits
(README, "Security notes").

The answer is kept only in Redis under a random id with a TTL and is checked once (GETDEL), the
same way as the slider; a right answer earns the same human pass. Answers may be typed as digits
(also full-width), Chinese numerals or English number words.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from random import Random

from redis.asyncio import Redis

from tqr_identity.security.human_pass import HumanPassStore

DEFAULT_CHALLENGE_TTL_SECONDS = 120

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                   "七": 7, "八": 8, "九": 9}
_ZH_DIGITS = "零一二三四五六七八九"
_EN_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
             "fifteen sixteen seventeen eighteen nineteen twenty").split()


@dataclass(frozen=True)
class TextChallenge:
    challenge_id: str
    question_zh: str
    question_en: str


@dataclass(frozen=True)
class Question:
    zh: str
    en: str
    answer: int


def parse_answer(text: str) -> int | None:
    """A whole number typed as digits (also full-width: ``１２``), Chinese numerals up to 99 or an
    English number word up to twenty."""
    clean = "".join(text.split()).lower()
    if not clean:
        return None
    if clean.isdigit():
        return int(clean)  # int() understands full-width and other Unicode decimal digits
    if clean in _EN_WORDS:
        return _EN_WORDS.index(clean)
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


def zh_number(n: int) -> str:
    """0–99 in Chinese numerals (十二, 二十, 二十三)."""
    if n < 10:
        return _ZH_DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + (_ZH_DIGITS[units] if units else "")


def en_number(n: int) -> str:
    return _EN_WORDS[n]


# (Chinese, English) names and things; the measure word goes with the thing.
_NAMES = (("小明", "Xiaoming"), ("小红", "Xiaohong"), ("李老师", "Ms Li"), ("王老师", "Mr Wang"),
          ("张阿姨", "Aunt Zhang"))
_FRUIT = (("苹果", "apples"), ("橘子", "oranges"), ("梨", "pears"), ("桃子", "peaches"))

# Each story: Chinese, English; {a} and {b} are numbers as words, {n}/{n_en} a name, {f}/{f_en} a fruit.
_SUMS = (
    ("{n}有{a}个{f}，又买了{b}个。{n}现在总共有几个{f}？",
     "{n_en} has {a} {f_en} and buys {b} more. How many {f_en} does {n_en} have now?"),
    ("书架上有{a}本书，{n}又放上去{b}本。书架上现在有几本书？",
     "There are {a} books on a shelf, and {n_en} puts {b} more on it. How many books are on the shelf now?"),
    ("上午来了{a}位家长，下午又来了{b}位。这天总共来了几位家长？",
     "{a} parents came in the morning and {b} more in the afternoon. How many parents came that day?"),
    ("{n}先写了{a}个字，后来又写了{b}个。{n}总共写了几个字？",
     "{n_en} wrote {a} characters, then {b} more. How many characters did {n_en} write in all?"),
)
_DIFFERENCES = (
    ("篮子里有{a}个{f}，吃掉了{b}个。篮子里还剩几个{f}？",
     "A basket holds {a} {f_en}; {b} of them are eaten. How many {f_en} are left in the basket?"),
    ("{n}有{a}支铅笔，送给同学{b}支。{n}还剩几支铅笔？",
     "{n_en} has {a} pencils and gives {b} to a classmate. How many pencils does {n_en} have left?"),
    ("停车场里停着{a}辆车，开走了{b}辆。停车场里还剩几辆车？",
     "There are {a} cars in a car park and {b} drive away. How many cars are left?"),
)


def make_question(rng: Random) -> Question:
    """A story with a sum or a difference of small numbers (answers 0–18)."""
    name, name_en = rng.choice(_NAMES)
    fruit, fruit_en = rng.choice(_FRUIT)
    if rng.randrange(2) == 0:
        zh, en = rng.choice(_SUMS)
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        answer = a + b
    else:
        zh, en = rng.choice(_DIFFERENCES)
        a = rng.randint(6, 18)
        b = rng.randint(1, min(9, a - 1))
        answer = a - b
    words = {"n": name, "n_en": name_en, "f": fruit, "f_en": fruit_en}
    return Question(zh.format(a=zh_number(a), b=zh_number(b), **words),
                    en.format(a=en_number(a), b=en_number(b), **words), answer)


QuestionMaker = Callable[[Random], Question]


class TextChallengeStore:
    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        passes: HumanPassStore,
        ttl_seconds: int = DEFAULT_CHALLENGE_TTL_SECONDS,
        rng: Random | None = None,
        questions: QuestionMaker = make_question,
    ) -> None:
        self._redis = redis
        self._prefix = key_prefix
        self._passes = passes
        self._ttl = ttl_seconds
        self._rng: Random = rng or secrets.SystemRandom()
        self._questions = questions

    def _key(self, challenge_id: str) -> str:
        return f"{self._prefix}:text-challenge:{challenge_id}"

    async def issue(self) -> TextChallenge:
        question = self._questions(self._rng)
        challenge_id = secrets.token_urlsafe(16)
        await self._redis.set(self._key(challenge_id), str(question.answer), ex=self._ttl)
        return TextChallenge(challenge_id, question.zh, question.en)

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
