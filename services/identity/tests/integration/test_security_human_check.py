"""The human check (R-ID-5) against the real Redis: slider and text challenges, and the pass."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import fields
from random import Random

import pytest
from redis.asyncio import Redis
from tqr_identity.security.human_pass import HumanPassStore
from tqr_identity.security.slider import Challenge, SliderStore
from tqr_identity.security.slider_images import SliderChallengeFactory, SliderPuzzle
from tqr_identity.security.text_challenge import Question, TextChallengeStore, make_question, parse_answer

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis(host="127.0.0.1", port=6379)
    prefix = f"tqr-test:{uuid.uuid4().hex[:12]}"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


class WatchedFactory(SliderChallengeFactory):
    """The real factory, remembering what it drew so the test knows the secret x."""

    def __init__(self) -> None:
        super().__init__()
        self.made: list[SliderPuzzle] = []

    def make(self) -> SliderPuzzle:
        puzzle = super().make()
        self.made.append(puzzle)
        return puzzle


def _slider(redis: tuple[Redis, str], **kwargs: int) -> tuple[SliderStore, WatchedFactory]:
    client, prefix = redis
    factory = WatchedFactory()
    return SliderStore(client, prefix, HumanPassStore(client, prefix), factory=factory, **kwargs), factory


async def test_r_id_5_challenge_ids_are_random_and_images_differ(redis) -> None:
    store, _ = _slider(redis)
    first, second = await store.issue(), await store.issue()
    assert first.challenge_id != second.challenge_id
    assert len(first.challenge_id) >= 22  # 128 random bits in URL-safe base64
    assert first.background_image != second.background_image
    assert first.piece_png != second.piece_png


async def test_r_id_5_the_client_gets_no_x(redis) -> None:
    store, factory = _slider(redis)
    challenge = await store.issue()
    assert {f.name for f in fields(Challenge)} == {"challenge_id", "background_image", "background_media_type",
                                                   "piece_png", "piece_y", "width", "height"}
    assert challenge.piece_y == factory.made[0].gap_y
    assert challenge.width == 320
    assert challenge.piece_png == factory.made[0].piece_png  # the piece is the same whatever x is


async def test_r_id_5_right_x_succeeds_once_only(redis) -> None:
    store, factory = _slider(redis)
    challenge = await store.issue()
    x = factory.made[0].gap_x
    assert await store.verify(challenge.challenge_id, x + 3)
    assert not await store.verify(challenge.challenge_id, x)


async def test_r_id_5_wrong_x_fails_and_uses_up_the_challenge(redis) -> None:
    store, factory = _slider(redis)
    challenge = await store.issue()
    x = factory.made[0].gap_x
    assert not await store.verify(challenge.challenge_id, x + 30)
    assert not await store.verify(challenge.challenge_id, x)  # no second try


async def test_r_id_5_tolerance_is_a_few_pixels(redis) -> None:
    store, factory = _slider(redis, tolerance_px=4)
    results = []
    for offset in (-4, 4, -5, 5):
        challenge = await store.issue()
        results.append(await store.verify(challenge.challenge_id, factory.made[-1].gap_x + offset))
    assert results == [True, True, False, False]


async def test_r_id_5_expired_challenge_fails(redis) -> None:
    store, factory = _slider(redis, ttl_seconds=1)
    challenge = await store.issue()
    await asyncio.sleep(1.3)
    assert not await store.verify(challenge.challenge_id, factory.made[0].gap_x)


async def test_r_id_5_unknown_challenge_fails(redis) -> None:
    store, _ = _slider(redis)
    assert not await store.verify("no-such-challenge", 100)
    assert not await store.verify("", 100)


async def test_r_id_5_solving_gives_a_single_use_human_pass(redis) -> None:
    store, factory = _slider(redis)
    challenge = await store.issue()
    token = await store.solve(challenge.challenge_id, factory.made[0].gap_x)
    assert token
    assert await store.redeem_pass(token)
    assert not await store.redeem_pass(token)
    assert not await store.redeem_pass("made-up-token")


async def test_r_id_5_a_failed_check_gives_no_pass(redis) -> None:
    store, factory = _slider(redis)
    challenge = await store.issue()
    assert await store.solve(challenge.challenge_id, factory.made[0].gap_x + 50) is None


async def test_r_id_5_human_pass_expires(redis) -> None:
    client, prefix = redis
    passes = HumanPassStore(client, prefix, ttl_seconds=1)
    token = await passes.issue()
    await asyncio.sleep(1.3)
    assert not await passes.redeem(token)


async def test_r_id_5_redis_holds_no_usable_pass_token(redis) -> None:
    client, prefix = redis
    token = await HumanPassStore(client, prefix).issue()
    keys = [key.decode() async for key in client.scan_iter(match=f"{prefix}:*")]
    assert keys and not any(token in key for key in keys)


class Answers:
    """The real question maker, remembering each answer so the test knows it."""

    def __init__(self) -> None:
        self.by_question: dict[str, int] = {}

    def __call__(self, rng: Random) -> Question:
        question = make_question(rng)
        self.by_question[question.zh] = question.answer
        return question


def _texts(client: Redis, prefix: str, passes: HumanPassStore, **kwargs: int) -> tuple[TextChallengeStore, Answers]:
    answers = Answers()
    return TextChallengeStore(client, prefix, passes, questions=answers, **kwargs), answers


async def test_r_id_5_text_challenge_right_answer_gives_the_same_kind_of_pass(redis) -> None:
    client, prefix = redis
    passes = HumanPassStore(client, prefix)
    texts, answers = _texts(client, prefix, passes)
    slider = SliderStore(client, prefix, passes)
    challenge = await texts.issue()
    assert challenge.question_zh.endswith("？") and challenge.question_en.endswith("?")
    token = await texts.solve(challenge.challenge_id, str(answers.by_question[challenge.question_zh]))
    assert token
    # The SMS step and login redeem passes without caring which check produced them.
    assert await slider.redeem_pass(token)
    assert not await texts.redeem_pass(token)


async def test_r_id_5_text_challenge_wrong_answer_fails_and_is_used_up(redis) -> None:
    client, prefix = redis
    texts, answers = _texts(client, prefix, HumanPassStore(client, prefix))
    challenge = await texts.issue()
    right = answers.by_question[challenge.question_zh]
    assert await texts.solve(challenge.challenge_id, str(right + 1)) is None
    assert not await texts.verify(challenge.challenge_id, str(right))


async def test_r_id_5_text_challenge_accepts_full_width_digits_once(redis) -> None:
    client, prefix = redis
    texts, answers = _texts(client, prefix, HumanPassStore(client, prefix))
    challenge = await texts.issue()
    right = answers.by_question[challenge.question_zh]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in str(right))
    assert parse_answer(full_width) == right
    assert await texts.verify(challenge.challenge_id, full_width)
    assert not await texts.verify(challenge.challenge_id, str(right))


async def test_r_id_5_text_challenge_expires(redis) -> None:
    client, prefix = redis
    texts, answers = _texts(client, prefix, HumanPassStore(client, prefix), ttl_seconds=1)
    challenge = await texts.issue()
    await asyncio.sleep(1.3)
    assert not await texts.verify(challenge.challenge_id, str(answers.by_question[challenge.question_zh]))


async def test_r_id_5_text_challenge_ids_are_random(redis) -> None:
    client, prefix = redis
    texts = TextChallengeStore(client, prefix, HumanPassStore(client, prefix))
    ids = {(await texts.issue()).challenge_id for _ in range(20)}
    assert len(ids) == 20
