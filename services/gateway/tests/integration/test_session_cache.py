"""R-ID-12 with resolved sessions remembered (session_cache.py), against the real Redis pub/sub.

Identity's side (what it announces, and when) is tested in the identity service; here a publisher
stands in for it, writing the same messages on the same kind of channel.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT
from tqr_gateway.session import SessionInfo
from tqr_gateway.session_cache import SessionCache, session_id_of

pytestmark = pytest.mark.redis


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def info(token: str, subject: str = "applicant-1", status: str = "VERIFIED") -> SessionInfo:
    return SessionInfo(token=token, subject_id=subject, kind="applicant", roles=(ROLE_APPLICANT,),
                       organisation_code="", name="李老师", masked_document_number="1101**********002X",
                       real_name_status=status)


async def eventually(check: Callable[[], bool], timeout: float = 5) -> None:
    async def wait() -> None:
        while not check():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(wait(), timeout)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis(host="127.0.0.1", port=6379)
    yield client
    await client.aclose()


@pytest.fixture
def channel() -> str:
    return f"tqr-test:{uuid.uuid4().hex[:12]}:identity:session:ended"


@pytest.fixture
async def live(redis: Redis, channel: str) -> AsyncIterator[tuple[SessionCache, Clock]]:
    """A cache whose listener has heard identity's channel named (by a first answer) and subscribed."""
    clock = Clock()
    cache = SessionCache(redis, seconds=30, clock=clock, max_entries=3)
    cache.put("first", info("first"), valid_for_seconds=1800, channel=channel, ticket=cache.ticket())
    await eventually(lambda: cache.live)
    yield cache, clock
    await cache.close()


def remember(cache: SessionCache, token: str, channel: str, **kwargs: str) -> None:
    cache.put(token, info(token, **kwargs), valid_for_seconds=1800, channel=channel, ticket=cache.ticket())


async def test_r_id_12_nothing_is_remembered_before_the_announcements_are_heard(redis, channel) -> None:
    cache = SessionCache(redis, seconds=30)
    try:
        remember(cache, "tok", channel)
        assert cache.get("tok") is None  # the first answer only names the channel
        await eventually(lambda: cache.live)
        remember(cache, "tok", channel)
        assert cache.get("tok") == info("tok")
    finally:
        await cache.close()


async def test_r_id_12_an_announced_sign_out_drops_the_session_at_once(live, redis, channel) -> None:
    cache, _ = live
    remember(cache, "alice", channel)
    remember(cache, "bob", channel, subject="applicant-2")
    await redis.publish(channel, f"session:{session_id_of('alice')}")
    await eventually(lambda: cache.get("alice") is None)
    assert cache.get("bob") is not None


async def test_r_id_12_a_changed_account_drops_every_session_of_it(live, redis, channel) -> None:
    cache, _ = live
    remember(cache, "phone", channel, status="UNVERIFIED")
    remember(cache, "laptop", channel, status="UNVERIFIED")
    await redis.publish(channel, "subject:applicant-1")
    await eventually(lambda: cache.get("phone") is None and cache.get("laptop") is None)


async def test_r_id_12_an_answer_overtaken_by_an_announcement_is_not_kept(live, redis, channel) -> None:
    cache, _ = live
    ticket = cache.ticket()  # the look-up starts
    await redis.publish(channel, f"session:{session_id_of('late')}")  # the session ends meanwhile
    await eventually(lambda: f"session:{session_id_of('late')}" in cache._recent)
    cache.put("late", info("late"), valid_for_seconds=1800, channel=channel, ticket=ticket)
    assert cache.get("late") is None


async def test_an_entry_lives_no_longer_than_the_cache_time_or_the_session(live, channel) -> None:
    cache, clock = live
    remember(cache, "long", channel)
    cache.put("short", info("short", subject="applicant-3"), valid_for_seconds=5, channel=channel,
              ticket=cache.ticket())
    clock.now += 6
    assert cache.get("short") is None and cache.get("long") is not None
    clock.now += 25
    assert cache.get("long") is None


async def test_the_least_recently_used_go_first_beyond_the_bound(live, channel) -> None:
    cache, _ = live
    for token in ("a", "b", "c"):
        remember(cache, token, channel, subject=f"s-{token}")
    cache.get("a")
    remember(cache, "d", channel, subject="s-d")
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") is not None


async def test_r_id_12_losing_the_subscription_forgets_everything_until_it_is_back(live, redis, channel) -> None:
    cache, _ = live
    remember(cache, "alice", channel)
    assert cache.get("alice") is not None
    subscriptions = cache.subscriptions
    await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")  # as when Redis restarts
    # Announcements may have been lost meanwhile: once subscribed again, nothing from before is used.
    await eventually(lambda: cache.live and cache.subscriptions > subscriptions, timeout=15)
    assert cache.get("alice") is None and len(cache) == 0
    remember(cache, "alice", channel)
    assert cache.get("alice") is not None


async def test_a_sign_out_through_this_gateway_forgets_at_once(live, channel) -> None:
    cache, _ = live
    remember(cache, "alice", channel)
    cache.forget("alice")
    assert cache.get("alice") is None


async def test_r_id_12_with_redis_gone_nothing_is_remembered(channel) -> None:
    unreachable = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    cache = SessionCache(unreachable, seconds=30)
    try:
        remember(cache, "tok", channel)
        await asyncio.sleep(0.5)
        remember(cache, "tok", channel)
        assert not cache.live and cache.get("tok") is None
    finally:
        await cache.close()
        await unreachable.aclose()


async def test_zero_seconds_turns_it_off(redis, channel) -> None:
    cache = SessionCache(redis, seconds=0)
    remember(cache, "tok", channel)
    await asyncio.sleep(0.2)
    assert not cache.live and cache.get("tok") is None
