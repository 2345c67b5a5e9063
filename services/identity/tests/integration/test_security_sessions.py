"""Server-side sessions (R-ID-12) against the real Redis."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis
from servicekit.clock import ManualClock, SystemClock
from servicekit.errors import Unauthenticated
from tqr_identity.security.sessions import SessionKind, SessionPolicy, SessionStore, session_id_of

pytestmark = pytest.mark.redis

SUBJECT = "applicant-42"


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


def _store(redis, clock=None, policy: SessionPolicy | None = None) -> SessionStore:
    client, prefix = redis
    return SessionStore(client, clock or ManualClock(), prefix, policy)


async def test_r_id_12_tokens_carry_at_least_128_random_bits(redis) -> None:
    store = _store(redis)
    tokens = [await store.create(SUBJECT, SessionKind.APPLICANT) for _ in range(20)]
    assert len(set(tokens)) == 20
    for token in tokens:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        assert len(raw) * 8 >= 128


async def test_r_id_12_resolve_returns_the_session_data(redis) -> None:
    clock = ManualClock()
    store = _store(redis, clock)
    token = await store.create("staff-7", SessionKind.STAFF, roles=["reviewer", "auditor"],
                               organisation_code="440305")
    clock.advance(minutes=3)
    session = await store.resolve(token)
    assert session is not None
    assert session.subject_id == "staff-7" and session.kind is SessionKind.STAFF
    assert session.roles == ("reviewer", "auditor") and session.organisation_code == "440305"
    assert session.last_seen - session.created_at == timedelta(minutes=3)
    assert session.session_id == session_id_of(token)
    assert await store.resolve("not-a-token") is None
    assert await store.resolve("") is None


async def test_r_id_12_redis_holds_no_usable_token(redis) -> None:
    client, prefix = redis
    store = _store(redis)
    token = await store.create(SUBJECT, SessionKind.APPLICANT)
    keys = [k.decode() async for k in client.scan_iter(match=f"{prefix}:*")]
    values = []
    for key in keys:
        if (await client.type(key)).decode() == "hash":
            values += [v.decode() for v in (await client.hgetall(key)).values()]
        else:
            values += [m.decode() for m in await client.smembers(key)]
    assert not any(token in item for item in keys + values)


async def test_r_id_12_idle_expiry_slides_with_use(redis) -> None:
    clock = ManualClock()
    store = _store(redis, clock)
    token = await store.create(SUBJECT, SessionKind.APPLICANT)
    for _ in range(4):
        clock.advance(minutes=29)
        assert await store.resolve(token) is not None
    clock.advance(minutes=30)
    assert await store.resolve(token) is None
    clock.advance(minutes=-30)  # even if time were turned back, the ended session stays ended
    assert await store.resolve(token) is None


async def test_r_id_12_absolute_expiry_ends_even_an_active_session(redis) -> None:
    clock = ManualClock()
    store = _store(redis, clock, SessionPolicy(idle_timeout=timedelta(minutes=30),
                                               absolute_lifetime=timedelta(hours=2)))
    token = await store.create(SUBJECT, SessionKind.APPLICANT)
    for _ in range(5):
        clock.advance(minutes=20)
        assert await store.resolve(token) is not None
    clock.advance(minutes=20)  # 2 hours after sign-in
    assert await store.resolve(token) is None


async def test_r_id_12_redis_drops_an_idle_session_by_itself(redis) -> None:
    client, _ = redis
    store = _store(redis, SystemClock(), SessionPolicy(idle_timeout=timedelta(seconds=1)))
    token = await store.create(SUBJECT, SessionKind.APPLICANT)
    await asyncio.sleep(1.3)
    assert await store.resolve(token) is None
    assert not [k async for k in client.scan_iter(match=f"{redis[1]}:session:id:*")]


async def test_r_id_12_logout_ends_the_session_on_the_server(redis) -> None:
    store = _store(redis)
    token = await store.create(SUBJECT, SessionKind.APPLICANT)
    assert await store.revoke(token)
    assert await store.resolve(token) is None
    assert not await store.revoke(token)


async def test_r_id_12_revoke_all_keeps_the_current_session_when_asked(redis) -> None:
    store = _store(redis)
    current = await store.create(SUBJECT, SessionKind.APPLICANT)
    others = [await store.create(SUBJECT, SessionKind.APPLICANT) for _ in range(3)]
    someone_else = await store.create("applicant-43", SessionKind.APPLICANT)
    assert await store.revoke_all(SUBJECT, except_token=current) == 3
    assert await store.resolve(current) is not None
    assert all([await store.resolve(t) is None for t in others])
    assert await store.resolve(someone_else) is not None
    assert await store.revoke_all(SUBJECT) == 1
    assert await store.resolve(current) is None


async def test_r_id_12_revoke_all_does_not_count_sessions_already_ended(redis) -> None:
    store = _store(redis)
    first = await store.create(SUBJECT, SessionKind.APPLICANT)
    await store.create(SUBJECT, SessionKind.APPLICANT)
    await store.revoke(first)
    assert await store.revoke_all(SUBJECT) == 1
    assert await store.revoke_all(SUBJECT) == 0


async def test_r_id_12_rotate_gives_a_new_token_and_ends_the_old(redis) -> None:
    clock = ManualClock()
    store = _store(redis, clock)
    old = await store.create("staff-7", SessionKind.STAFF, roles=["reviewer"], organisation_code="440305")
    before = await store.resolve(old)
    clock.advance(minutes=1)
    new = await store.rotate(old)
    assert new != old
    assert await store.resolve(old) is None
    after = await store.resolve(new)
    assert after is not None and before is not None
    assert (after.subject_id, after.kind, after.roles, after.organisation_code) == (
        "staff-7", SessionKind.STAFF, ("reviewer",), "440305")
    # The absolute lifetime still counts from the original sign-in.
    assert after.created_at == before.created_at
    # The new session belongs to the subject: revoke_all finds it.
    assert await store.revoke_all("staff-7") == 1


async def test_r_id_12_rotating_an_ended_session_is_refused(redis) -> None:
    store = _store(redis)
    token = await store.create(SUBJECT, SessionKind.APPLICANT)
    await store.revoke(token)
    with pytest.raises(Unauthenticated):
        await store.rotate(token)
