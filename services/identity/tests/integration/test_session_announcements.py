"""R-ID-12 for callers that remember resolved sessions (the gateway): every ended session and every
changed account is announced on Redis pub/sub, and ResolveSession says where and for how long."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from tqr_identity.adapters.real_name_dev import demo_registry_holders
from tqr_identity.security.sessions import session_id_of
from tqr_identity.service_layer import passwords, sign_in, verification

pytestmark = pytest.mark.redis
NEW = "Fresh#2027ok"


class Heard:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def until(self, expected: set[str], timeout: float = 5) -> None:
        async def arrived() -> None:
            while not expected <= set(self.messages):
                await asyncio.sleep(0.02)
        await asyncio.wait_for(arrived(), timeout)


@asynccontextmanager
async def listening(ctx) -> AsyncIterator[Heard]:
    client = Redis(host="127.0.0.1", port=6379)
    pubsub = client.pubsub()
    await pubsub.subscribe(ctx.security.sessions.revocation_channel)
    heard = Heard()

    async def collect() -> None:
        async for message in pubsub.listen():
            if message["type"] == "message":
                heard.messages.append(message["data"].decode())

    task = asyncio.create_task(collect())
    try:
        yield heard
    finally:
        task.cancel()
        await pubsub.aclose()
        await client.aclose()


async def test_r_id_12_resolve_names_the_channel_and_how_long_the_session_stays_valid(ctx, steps) -> None:
    _, number = await steps.register(ctx)
    signed = await steps.sign_in_as(ctx, number)
    found = await sign_in.resolve_session(ctx, signed.session_token)
    assert found.session_id == session_id_of(signed.session_token)
    idle = ctx.security.sessions.policy.idle_timeout.total_seconds()
    assert 0 < found.valid_for_seconds <= idle
    assert ctx.security.sessions.revocation_channel


async def test_r_id_12_a_sign_out_is_announced(ctx, steps) -> None:
    _, number = await steps.register(ctx)
    signed = await steps.sign_in_as(ctx, number)
    async with listening(ctx) as heard:
        assert await sign_in.sign_out(ctx, signed.session_token)
        await heard.until({f"session:{session_id_of(signed.session_token)}"})


async def test_r_id_12_a_password_change_announces_every_other_session_it_ends(ctx, steps) -> None:
    account_id, number = await steps.register(ctx)
    current = await steps.sign_in_as(ctx, number)
    others = [await steps.sign_in_as(ctx, number, client_id=f"198.51.100.{i}") for i in (1, 2)]
    async with listening(ctx) as heard:
        await passwords.change_password(ctx, account_id, current_password=steps.PASSWORD, new_password=NEW,
                                        new_password_confirm=NEW, keep_session_token=current.session_token)
        await heard.until({f"session:{session_id_of(o.session_token)}" for o in others})
        assert f"session:{session_id_of(current.session_token)}" not in heard.messages


async def test_r_id_12_a_verified_account_is_announced_after_the_change_is_committed(ctx, steps) -> None:
    holder = next(h for h in demo_registry_holders() if h.document_type.value == "ID_CARD")
    account_id, number = await steps.register(ctx, holder.document_number, name=holder.name)
    signed = await steps.sign_in_as(ctx, number)
    assert (await sign_in.resolve_session(ctx, signed.session_token)).real_name_status != "VERIFIED"
    async with listening(ctx) as heard:
        await verification.verify_real_name(ctx, account_id)
        await heard.until({f"subject:{account_id}"})
    # Whoever drops its memory on hearing this and asks again gets the new status.
    assert (await sign_in.resolve_session(ctx, signed.session_token)).real_name_status == "VERIFIED"
