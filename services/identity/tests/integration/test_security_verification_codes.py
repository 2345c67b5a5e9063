"""Verification codes (R-ID-6) against the real Redis, time moved by a ManualClock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from servicekit.errors import RuleViolation, TooManyRequests
from tqr_identity.security.verification_codes import CodePolicy, CodePurpose, VerificationCodes

pytestmark = pytest.mark.redis

SECRET = b"test-secret-0123456789abcdef0123"
PHONE = "13812345678"
OTHER_PHONE = "13987654321"
CLIENT = "203.0.113.7"
REGISTER = CodePurpose.REGISTER
# 09:00 in Beijing: 15 hours before the daily caps start again.
MORNING = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


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


def _codes(redis, clock: ManualClock, **policy: int) -> VerificationCodes:
    client, prefix = redis
    return VerificationCodes(client, SECRET, clock, prefix, CodePolicy(**policy))


def _seconds_to_beijing_midnight(instant: datetime) -> int:
    local = instant.astimezone(timezone(timedelta(hours=8)))
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((midnight - local).total_seconds())


async def test_r_id_6_code_is_six_digits_and_random(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING), resend_cooldown_seconds=0)
    issued = [await codes.issue(REGISTER, PHONE, CLIENT) for _ in range(8)]
    assert all(len(c) == 6 and c.isdigit() for c in issued)
    assert len(set(issued)) > 1


async def test_r_id_6_right_code_works_once_only(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    assert await codes.check(REGISTER, PHONE, code)
    with pytest.raises(RuleViolation) as refused:
        await codes.check(REGISTER, PHONE, code)
    assert refused.value.code == "R-ID-6"
    assert "重新获取" in refused.value.message_zh


async def test_r_id_6_code_expires_after_five_minutes(redis) -> None:
    clock = ManualClock(MORNING)
    codes = _codes(redis, clock)
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    clock.advance(seconds=299)
    assert await codes.check(REGISTER, PHONE, code)

    clock.advance(seconds=60)
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    clock.advance(seconds=300)
    with pytest.raises(RuleViolation):
        await codes.check(REGISTER, PHONE, code)


async def test_r_id_6_redis_forgets_an_expired_code(redis) -> None:
    client, prefix = redis
    codes = _codes(redis, ManualClock(datetime.now(UTC)), validity_seconds=1)
    await codes.issue(REGISTER, PHONE, CLIENT)
    code_keys = [k async for k in client.scan_iter(match=f"{prefix}:vcode:code:*")]
    assert len(code_keys) == 1
    await asyncio.sleep(1.3)
    assert not await client.exists(*code_keys)


async def test_r_id_6_wrong_guess_is_false_and_the_fifth_voids_the_code(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert await codes.check(REGISTER, PHONE, wrong) is False
    with pytest.raises(RuleViolation) as refused:
        await codes.check(REGISTER, PHONE, code)
    assert refused.value.code == "R-ID-6"


async def test_r_id_6_four_wrong_guesses_still_leave_the_code_usable(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert not await codes.check(REGISTER, PHONE, wrong)
    assert await codes.check(REGISTER, PHONE, code)


async def test_r_id_6_concurrent_wrong_guesses_cannot_exceed_five(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    async def guess() -> str:
        try:
            return str(await codes.check(REGISTER, PHONE, wrong))
        except RuleViolation:
            return "void"

    outcomes = await asyncio.gather(*(guess() for _ in range(20)))
    assert outcomes.count("False") == 5 and outcomes.count("void") == 15


async def test_r_id_6_code_for_one_purpose_does_not_work_for_another(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    with pytest.raises(RuleViolation):
        await codes.check(CodePurpose.RESET_PASSWORD, PHONE, code)
    assert await codes.check(REGISTER, PHONE, code)


async def test_r_id_6_code_for_one_number_does_not_work_for_another(redis) -> None:
    clock = ManualClock(MORNING)
    codes = _codes(redis, clock)
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    other = await codes.issue(REGISTER, OTHER_PHONE, CLIENT)
    if other != code:
        assert not await codes.check(REGISTER, OTHER_PHONE, code)
    assert await codes.check(REGISTER, PHONE, code)


async def test_r_id_6_a_new_code_replaces_the_previous_one(redis) -> None:
    clock = ManualClock(MORNING)
    codes = _codes(redis, clock)
    first = await codes.issue(REGISTER, PHONE, CLIENT)
    clock.advance(seconds=60)
    second = await codes.issue(REGISTER, PHONE, CLIENT)
    if first != second:
        assert not await codes.check(REGISTER, PHONE, first)
    assert await codes.check(REGISTER, PHONE, second)


async def test_r_id_6_resend_cooldown_says_how_many_seconds_remain(redis) -> None:
    clock = ManualClock(MORNING)
    codes = _codes(redis, clock)
    await codes.issue(REGISTER, PHONE, CLIENT)
    with pytest.raises(TooManyRequests) as refused:
        await codes.issue(REGISTER, PHONE, CLIENT)
    assert refused.value.code == "R-ID-6" and refused.value.retry_after == 60
    clock.advance(seconds=45)
    # Another purpose for the same number waits too; another number does not.
    with pytest.raises(TooManyRequests) as refused:
        await codes.issue(CodePurpose.RESET_PASSWORD, PHONE, CLIENT)
    assert refused.value.retry_after == 15
    assert "15 秒" in refused.value.message_zh and "15 seconds" in refused.value.message_en
    await codes.issue(REGISTER, OTHER_PHONE, CLIENT)
    clock.advance(seconds=15)
    assert await codes.issue(REGISTER, PHONE, CLIENT)


async def test_r_id_6_daily_cap_per_number_until_midnight_in_beijing(redis) -> None:
    clock = ManualClock(MORNING)
    codes = _codes(redis, clock)  # defaults: 60 s cooldown, 10 per number a day
    for n in range(10):
        await codes.issue(REGISTER, PHONE, f"client-{n}")
        clock.advance(seconds=61)
    with pytest.raises(TooManyRequests) as refused:
        await codes.issue(REGISTER, PHONE, "client-new")
    assert refused.value.code == "R-ID-6"
    assert refused.value.retry_after == _seconds_to_beijing_midnight(clock.now())
    assert "明天" in refused.value.message_zh
    await codes.issue(REGISTER, OTHER_PHONE, "client-new")  # other numbers are not affected
    clock.advance(seconds=_seconds_to_beijing_midnight(clock.now()))
    assert await codes.issue(REGISTER, PHONE, "client-new")


async def test_r_id_6_daily_cap_per_client(redis) -> None:
    clock = ManualClock(MORNING)
    codes = _codes(redis, clock)  # default: 20 per client a day
    for n in range(20):
        await codes.issue(REGISTER, f"1380000{n:04d}", CLIENT)
    with pytest.raises(TooManyRequests) as refused:
        await codes.issue(REGISTER, "13900000000", CLIENT)
    assert refused.value.retry_after == _seconds_to_beijing_midnight(clock.now())
    assert await codes.issue(REGISTER, "13900000000", "198.51.100.1")


async def test_r_id_6_caps_are_configurable(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING), resend_cooldown_seconds=0,
                   daily_cap_per_destination=3, daily_cap_per_client=5)
    for _ in range(3):
        await codes.issue(REGISTER, PHONE, CLIENT)
    with pytest.raises(TooManyRequests):
        await codes.issue(REGISTER, PHONE, CLIENT)
    await codes.issue(REGISTER, OTHER_PHONE, CLIENT)
    await codes.issue(REGISTER, OTHER_PHONE, CLIENT)
    with pytest.raises(TooManyRequests):
        await codes.issue(REGISTER, "13700000000", CLIENT)


async def _issue_outcome(codes: VerificationCodes, destination: str, client: str) -> bool:
    try:
        await codes.issue(REGISTER, destination, client)
        return True
    except TooManyRequests:
        return False


async def test_r_id_6_daily_cap_per_number_holds_under_concurrency(redis) -> None:
    clients = [Redis(host="127.0.0.1", port=6379) for _ in range(6)]
    prefix = redis[1]
    try:
        stores = [VerificationCodes(c, SECRET, ManualClock(MORNING), prefix, CodePolicy(resend_cooldown_seconds=0))
                  for c in clients]
        results = await asyncio.gather(
            *(_issue_outcome(stores[n % 6], PHONE, f"client-{n}") for n in range(30))
        )
        assert results.count(True) == 10
    finally:
        for c in clients:
            await c.aclose()


async def test_r_id_6_daily_cap_per_client_holds_under_concurrency(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    results = await asyncio.gather(*(_issue_outcome(codes, f"1380000{n:04d}", CLIENT) for n in range(30)))
    assert results.count(True) == 20


async def test_r_id_6_cooldown_holds_under_concurrency(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    results = await asyncio.gather(*(_issue_outcome(codes, PHONE, f"c-{n}") for n in range(10)))
    assert results.count(True) == 1


async def test_r_id_6_redis_holds_neither_the_number_nor_the_code_in_clear(redis) -> None:
    client, prefix = redis
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, PHONE, CLIENT)
    keys = [k.decode() async for k in client.scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 4
    values: list[str] = []
    for key in keys:
        kind = (await client.type(key)).decode()
        if kind == "hash":
            values += [v.decode() for v in (await client.hgetall(key)).values()]
        else:
            values.append((await client.get(key)).decode())
    everything = " ".join(keys + values)
    assert PHONE not in everything and CLIENT not in everything
    assert code not in values
    [code_key] = [k for k in keys if ":code:" in k]
    stored_hash = (await client.hget(code_key, "hash")).decode()
    assert len(stored_hash) == 64 and stored_hash != code


async def test_r_id_6_spaces_in_the_number_do_not_matter(redis) -> None:
    codes = _codes(redis, ManualClock(MORNING))
    code = await codes.issue(REGISTER, "138 1234 5678", CLIENT)
    assert await codes.check(REGISTER, PHONE, code)


def test_r_id_6_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        VerificationCodes(Redis(), b"short", ManualClock(), "p")
