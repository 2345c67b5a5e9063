"""The per-recipient limit on the real Redis at 127.0.0.1:6379 (random key prefix, cleaned up)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from tqr_notification.channels.redis_recipient_limit import RedisRecipientLimiter
from tqr_notification.domain.recipient_limit import LimitBucket, LimitRule, RecipientLimitPolicy

pytestmark = pytest.mark.redis

HMAC_KEY = b"0123456789abcdef0123456789abcdef"
PHONE = "13812345678"
EMAIL = "teacher@example.com"


@pytest.fixture
async def redis_and_prefix():
    client = Redis(host="127.0.0.1", port=6379)
    prefix = f"test-notif-{uuid.uuid4().hex}"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def _limiter(redis_and_prefix, clock, policy=None) -> RedisRecipientLimiter:
    client, prefix = redis_and_prefix
    return RedisRecipientLimiter(client, HMAC_KEY, clock, policy, key_prefix=prefix)


async def test_twenty_messages_pass_the_twenty_first_is_held_with_a_retry_time(redis_and_prefix):
    clock = ManualClock()
    limiter = _limiter(redis_and_prefix, clock)
    for n in range(20):
        decision = await limiter.admit(PHONE, LimitBucket.GENERAL, f"m-{n}")
        assert decision.allowed and decision.count == n + 1
        clock.advance(seconds=60)
    held = await limiter.admit(PHONE, LimitBucket.GENERAL, "m-20")
    assert not held.allowed and held.count == 20 and held.limit == 20
    # The first message was counted 20 minutes ago; it leaves the hour 40 minutes from now.
    assert held.retry_after_seconds == 40 * 60
    assert held.as_held_result().status == "HELD"
    # Another recipient is not affected.
    assert (await limiter.admit(EMAIL, LimitBucket.GENERAL, "m-other")).allowed


async def test_window_slides_so_a_held_recipient_is_served_again_later(redis_and_prefix):
    clock = ManualClock()
    limiter = _limiter(redis_and_prefix, clock, RecipientLimitPolicy(general=LimitRule(2, 600)))
    assert (await limiter.admit(PHONE, LimitBucket.GENERAL, "a")).allowed
    clock.advance(seconds=300)
    assert (await limiter.admit(PHONE, LimitBucket.GENERAL, "b")).allowed
    assert not (await limiter.admit(PHONE, LimitBucket.GENERAL, "c")).allowed
    clock.advance(timedelta(seconds=300))  # "a" is now exactly one window old
    assert (await limiter.admit(PHONE, LimitBucket.GENERAL, "c")).allowed
    assert not (await limiter.admit(PHONE, LimitBucket.GENERAL, "d")).allowed


async def test_a_retried_delivery_of_the_same_message_counts_once(redis_and_prefix):
    limiter = _limiter(redis_and_prefix, ManualClock(), RecipientLimitPolicy(general=LimitRule(2, 3600)))
    for _ in range(5):
        assert (await limiter.admit(PHONE, LimitBucket.GENERAL, "same-message")).allowed
    assert (await limiter.admit(PHONE, LimitBucket.GENERAL, "second")).count == 2


async def test_r_id_6_codes_still_arrive_when_notices_filled_the_general_limit(redis_and_prefix):
    policy = RecipientLimitPolicy(general=LimitRule(3, 3600), codes=LimitRule(2, 3600))
    limiter = _limiter(redis_and_prefix, ManualClock(), policy)
    for n in range(3):
        await limiter.admit(PHONE, LimitBucket.GENERAL, f"notice-{n}")
    assert not (await limiter.admit(PHONE, LimitBucket.GENERAL, "notice-4")).allowed
    assert (await limiter.admit(PHONE, LimitBucket.CODES, "code-1")).allowed
    assert (await limiter.admit(PHONE, LimitBucket.CODES, "code-2")).allowed
    assert not (await limiter.admit(PHONE, LimitBucket.CODES, "code-3")).allowed


async def test_concurrent_consumers_never_admit_more_than_the_limit(redis_and_prefix):
    limiter = _limiter(redis_and_prefix, ManualClock())
    decisions = await asyncio.gather(
        *(limiter.admit(PHONE, LimitBucket.GENERAL, f"c-{n}") for n in range(35))
    )
    assert sum(d.allowed for d in decisions) == 20


async def test_keys_hold_an_hmac_never_the_address_and_expire(redis_and_prefix):
    client, prefix = redis_and_prefix
    limiter = _limiter(redis_and_prefix, ManualClock())
    await limiter.admit(PHONE, LimitBucket.GENERAL, "m-1")
    await limiter.admit(EMAIL, LimitBucket.CODES, "m-2")
    keys = [key.decode() async for key in client.scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 2
    for key in keys:
        assert PHONE not in key and "5678" not in key and "teacher" not in key
        assert 0 < await client.pttl(key) <= 3600 * 1000
