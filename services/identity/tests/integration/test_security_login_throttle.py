"""Login throttling (R-ID-8) against the real Redis, time moved by a ManualClock."""

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


async def test_r_id_8_five_failures_lock_the_account_for_fifteen_minutes(redis) -> None:
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
    # The lock is on the account, whichever client asks.
    with pytest.raises(TooManyRequests):
        await throttle.check(ACCOUNT, "198.51.100.2")


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


async def test_r_id_8_success_clears_the_account_count(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await _fail(throttle, 4)
    await throttle.record_success(ACCOUNT)
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
    await throttle.check("acct-new", "198.51.100.2")  # other clients are not affected
    clock.advance(minutes=15)
    await throttle.check("acct-new", CLIENT)


async def test_r_id_8_a_success_does_not_clear_the_client_count(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    for n in range(19):
        await throttle.record_failure(f"acct-{n}", CLIENT)
    await throttle.record_success("acct-of-the-guesser")
    await throttle.record_failure("acct-19", CLIENT)
    with pytest.raises(TooManyRequests):
        await throttle.check("acct-of-the-guesser", CLIENT)


async def test_r_id_8_limits_are_configurable(redis) -> None:
    clock = ManualClock()
    policy = LoginThrottlePolicy(account_max_failures=2, account_lock=timedelta(minutes=3))
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


async def test_r_id_8_staff_can_unlock_an_account(redis) -> None:
    clock = ManualClock()
    throttle = _throttle(redis, clock)
    await _fail(throttle, 5, client="198.51.100.3")
    await throttle.unlock_account(ACCOUNT)
    await throttle.check(ACCOUNT, CLIENT)


async def test_r_id_8_client_address_is_not_stored_in_clear(redis) -> None:
    client, prefix = redis
    throttle = _throttle(redis, ManualClock())
    await throttle.record_failure(ACCOUNT, CLIENT)
    keys = [k.decode() async for k in client.scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 2 and not any(CLIENT in k for k in keys)


async def test_r_id_8_lock_keys_expire_in_redis(redis) -> None:
    client, prefix = redis
    policy = LoginThrottlePolicy(account_max_failures=1, account_lock=timedelta(seconds=1))
    throttle = _throttle(redis, ManualClock(), policy)
    await throttle.record_failure(ACCOUNT, CLIENT)
    locks = [k async for k in client.scan_iter(match=f"{prefix}:login:account-lock:*")]
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
