"""Login throttling (R-ID-8, R-ID-15) against the real Redis, time moved by a ManualClock."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from servicekit.errors import TooManyRequests
from tqr_identity.security.login_throttle import LoginThrottle, LoginThrottlePolicy

pytestmark = pytest.mark.redis

ACCOUNT = "acct-5f1d2c"  # opaque: the caller's keyed hash of document type and number
CLIENT = "203.0.113.9"
ELSEWHERE = "198.51.100.2"


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


def _throttle(redis, clock: ManualClock, policy: LoginThrottlePolicy | None = None) -> LoginThrottle:
    client, prefix = redis
    return LoginThrottle(client, clock, prefix, policy)


async def _fail(throttle: LoginThrottle, times: int, account: str = ACCOUNT, client: str = CLIENT) -> None:
    for _ in range(times):
        await throttle.record_failure(account, client)


async def test_r_id_15_five_failures_lock_the_pair_not_the_account(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await _fail(throttle, 4)
    await throttle.check(ACCOUNT, CLIENT)
    await throttle.record_failure(ACCOUNT, CLIENT)
    with pytest.raises(TooManyRequests) as refused:
        await throttle.check(ACCOUNT, CLIENT)
    assert refused.value.code == "R-ID-8"
    assert refused.value.retry_after == 15 * 60
    assert refused.value.message_zh == "登录尝试次数过多，请在 15 分钟后再试"
    assert "15 minutes" in refused.value.message_en
    # Whoever guessed from there is locked out of this account; its owner, elsewhere, is not.
    await throttle.check(ACCOUNT, ELSEWHERE)
    await throttle.check("acct-other", CLIENT)


async def test_r_id_15_guesses_from_many_addresses_never_lock_the_owner_out(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    # Forty addresses, four wrong passwords each (under the pair lock), well within the hour.
    for n in range(40):
        guesser = f"192.0.2.{n}"
        for _ in range(4):
            await throttle.record_failure(ACCOUNT, guesser)
            clock.advance(seconds=5)
    await throttle.check(ACCOUNT, "192.0.2.200")  # one more guess has just taken the account's turn
    # The owner, from an address never seen, waits at most the back-off cap, then has the turn.
    with pytest.raises(TooManyRequests) as waiting:
        await throttle.check(ACCOUNT, ELSEWHERE)
    assert 0 < waiting.value.retry_after <= throttle.policy.account_backoff_max.total_seconds()
    clock.advance(seconds=waiting.value.retry_after)
    await throttle.check(ACCOUNT, ELSEWHERE)


async def test_r_id_15_a_spread_out_guesser_gets_one_turn_per_pause_growing_to_the_cap(redis) -> None:
    clock = ManualClock()
    policy = LoginThrottlePolicy(account_backoff_after=3, account_backoff_max=timedelta(seconds=8))
    throttle = _throttle(redis, clock, policy)
    for n in range(3):
        await throttle.check(ACCOUNT, f"192.0.2.{n}")
        await throttle.record_failure(ACCOUNT, f"192.0.2.{n}")
    pauses = []
    for n in range(3, 9):
        guesser = f"192.0.2.{n}"
        await throttle.check(ACCOUNT, guesser)  # this attempt takes the account's turn
        with pytest.raises(TooManyRequests) as waiting:  # a second address right after it waits
            await throttle.check(ACCOUNT, f"198.51.100.{n}")
        assert waiting.value.code == "R-ID-8" and "秒" in waiting.value.message_zh
        pauses.append(waiting.value.retry_after)
        await throttle.record_failure(ACCOUNT, guesser)
        clock.advance(seconds=waiting.value.retry_after)
    assert pauses == sorted(pauses) and pauses[0] < pauses[-1] == 8


async def test_r_id_15_an_address_the_owner_signed_in_from_is_not_slowed(redis) -> None:
    clock = ManualClock()
    policy = LoginThrottlePolicy(account_backoff_after=2)
    throttle = _throttle(redis, clock, policy)
    await throttle.record_success(ACCOUNT, CLIENT)
    for n in range(6):
        await throttle.record_failure(ACCOUNT, f"192.0.2.{n}")
    await throttle.check(ACCOUNT, "192.0.2.99")  # someone takes the turn
    with pytest.raises(TooManyRequests):
        await throttle.check(ACCOUNT, ELSEWHERE)
    await throttle.check(ACCOUNT, CLIENT)  # the owner's usual address goes on at once
    await throttle.check(ACCOUNT, CLIENT)


async def test_r_id_8_lock_counts_down_and_ends(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await _fail(throttle, 5)
    clock.advance(minutes=5, seconds=30)
    with pytest.raises(TooManyRequests) as refused:
        await throttle.check(ACCOUNT, CLIENT)
    assert refused.value.retry_after == 9 * 60 + 30
    assert "10 分钟" in refused.value.message_zh
    clock.advance(minutes=9, seconds=30)
    await throttle.check(ACCOUNT, CLIENT)


async def test_r_id_8_failures_leave_the_window(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await _fail(throttle, 4)
    clock.advance(minutes=15, seconds=1)
    await _fail(throttle, 4)
    await throttle.check(ACCOUNT, CLIENT)
    await throttle.record_failure(ACCOUNT, CLIENT)
    with pytest.raises(TooManyRequests):
        await throttle.check(ACCOUNT, CLIENT)


async def test_r_id_8_success_clears_the_pair_count(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await _fail(throttle, 4)
    await throttle.record_success(ACCOUNT, CLIENT)
    await _fail(throttle, 4)
    await throttle.check(ACCOUNT, CLIENT)


async def test_r_id_8_twenty_failures_from_one_client_lock_that_client(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    for n in range(19):
        await throttle.record_failure(f"acct-{n}", CLIENT)
    await throttle.check("acct-new", CLIENT)
    await throttle.record_failure("acct-19", CLIENT)
    with pytest.raises(TooManyRequests) as refused:
        await throttle.check("acct-new", CLIENT)
    assert refused.value.code == "R-ID-8" and refused.value.retry_after == 15 * 60
    await throttle.check("acct-new", ELSEWHERE)  # other clients are not affected
    clock.advance(minutes=15)
    await throttle.check("acct-new", CLIENT)


async def test_r_id_8_a_success_does_not_clear_the_client_count(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    for n in range(19):
        await throttle.record_failure(f"acct-{n}", CLIENT)
    await throttle.record_success("acct-of-the-guesser", CLIENT)
    await throttle.record_failure("acct-19", CLIENT)
    with pytest.raises(TooManyRequests):
        await throttle.check("acct-of-the-guesser", CLIENT)


async def test_r_id_8_limits_are_configurable(redis) -> None:
    clock = ManualClock()
    policy = LoginThrottlePolicy(pair_max_failures=2, pair_lock=timedelta(minutes=3))
    throttle = _throttle(redis, clock, policy)
    await _fail(throttle, 2)
    with pytest.raises(TooManyRequests) as refused:
        await throttle.check(ACCOUNT, CLIENT)
    assert refused.value.retry_after == 180 and "3 分钟" in refused.value.message_zh


async def test_r_id_8_concurrent_failures_all_count(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await asyncio.gather(*(throttle.record_failure(ACCOUNT, CLIENT) for _ in range(5)))
    with pytest.raises(TooManyRequests):
        await throttle.check(ACCOUNT, CLIENT)


async def test_r_id_15_a_person_who_proved_themselves_is_unlocked_and_known(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock, LoginThrottlePolicy(account_backoff_after=3))
    await _fail(throttle, 5)
    await throttle.forgive(ACCOUNT, CLIENT)
    await throttle.check(ACCOUNT, CLIENT)
    await throttle.check(ACCOUNT, CLIENT)  # known now: the account's back-off does not apply to it


async def test_r_id_8_client_address_is_not_stored_in_clear(redis) -> None:
    client, prefix = redis
    throttle = _throttle(redis, ManualClock())
    await throttle.record_failure(ACCOUNT, CLIENT)
    await throttle.record_success(ACCOUNT, CLIENT)
    keys = [k.decode() async for k in client.scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 3 and not any(CLIENT in k for k in keys)


async def test_r_id_8_lock_keys_expire_in_redis(redis) -> None:
    client, prefix = redis
    policy = LoginThrottlePolicy(pair_max_failures=1, pair_lock=timedelta(seconds=1))
    throttle = _throttle(redis, ManualClock(), policy)
    await throttle.record_failure(ACCOUNT, CLIENT)
    locks = [k async for k in client.scan_iter(match=f"{prefix}:login:pair-lock:*")]
    assert len(locks) == 1
    await asyncio.sleep(1.3)
    assert not await client.exists(*locks)


async def test_r_id_8_each_refusal_by_the_throttle_is_counted_for_the_dashboards(redis) -> None:
    from prometheus_client import REGISTRY

    def refused() -> float:
        return REGISTRY.get_sample_value("tqr_identity_login_throttled_total") or 0.0

    throttle = _throttle(redis, ManualClock())
    before = refused()
    await _fail(throttle, 4)
    await throttle.check(ACCOUNT, CLIENT)  # not locked yet: not counted
    assert refused() == before
    await throttle.record_failure(ACCOUNT, CLIENT)
    for _ in range(2):
        with pytest.raises(TooManyRequests):
            await throttle.check(ACCOUNT, CLIENT)
    assert refused() == before + 2
