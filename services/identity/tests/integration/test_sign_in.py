"""Sign-in (R-ID-8), sessions and sign-out (R-ID-12) against the real Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher as Argon2Hasher
from servicekit.errors import TooManyRequests, Unauthenticated
from sqlalchemy import select
from tqr.identity.v1 import events_pb2
from tqr_identity.adapters import orm
from tqr_identity.adapters.crypto.password_hasher import PasswordHasher, PasswordHashSettings
from tqr_identity.service_layer import passwords, sign_in

pytestmark = pytest.mark.redis


class CountingArgon2(Argon2Hasher):
    """Counts verifications, so the test sees the hashing work each path does."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.verifications = 0

    def verify(self, hash, password):
        self.verifications += 1
        return super().verify(hash, password)


async def test_r_id_8_unknown_account_and_wrong_password_get_the_same_answer_after_the_same_work(
    make_ctx, steps
) -> None:
    argon = CountingArgon2(memory_cost=256, time_cost=1, parallelism=1)
    ctx = await make_ctx(hasher=PasswordHasher(PasswordHashSettings(memory_cost_kib=256), argon2_hasher=argon))
    _, number = await steps.register(ctx)
    answers = []
    for target, password in ((number, "Wrong#pass1"), (steps.new_id_number(), steps.PASSWORD)):
        before = argon.verifications
        with pytest.raises(Unauthenticated) as caught:
            await steps.sign_in_as(ctx, target, password)
        answers.append((caught.value.code, caught.value.message_zh, caught.value.message_en,
                        argon.verifications - before))
    assert answers[0] == answers[1] == ("R-ID-8", "登录失败", "Sign-in failed", 1)


async def test_r_id_8_sign_in_needs_a_human_pass(ctx, steps) -> None:
    _, number = await steps.register(ctx)
    with pytest.raises(Exception) as caught:
        await sign_in.sign_in(ctx, document_type="ID_CARD", document_number=number, password=steps.PASSWORD,
                              pass_token="", client_id="c")
    assert getattr(caught.value, "code", "") == "R-ID-5"


async def test_r_id_15_repeated_failures_lock_that_address_out_of_the_account_only(make_ctx, steps) -> None:
    ctx = await make_ctx(login_pair_max_failures=3, login_lock_minutes=15)
    _, number = await steps.register(ctx)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await steps.sign_in_as(ctx, number, "Wrong#pass1", client_id="192.0.2.66")
    with pytest.raises(TooManyRequests) as caught:  # even the right password waits there now
        await steps.sign_in_as(ctx, number, steps.PASSWORD, client_id="192.0.2.66")
    assert caught.value.code == "R-ID-8" and caught.value.retry_after > 0
    # The teacher, from their own address, is not locked out by someone else's guesses.
    assert (await steps.sign_in_as(ctx, number, client_id="203.0.113.9")).session_token
    ctx.clock.advance(timedelta(minutes=15, seconds=1))
    assert (await steps.sign_in_as(ctx, number, client_id="192.0.2.66")).session_token


async def test_r_id_15_a_password_reset_unlocks_the_address_it_came_from(make_ctx, steps) -> None:
    ctx = await make_ctx(login_pair_max_failures=3)
    _, number = await steps.register(ctx)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await steps.sign_in_as(ctx, number, "Wrong#pass1", client_id="192.0.2.67")
    ctx.clock.advance(timedelta(seconds=61))  # the registration code's resend cooldown
    await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=number, channel="SMS",
                                           pass_token=await steps.human_pass(ctx), client_id="192.0.2.67")
    code = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1].code
    await passwords.reset_password(ctx, document_type="ID_CARD", document_number=number, channel="SMS", code=code,
                                   new_password="Fresh#2027ok", new_password_confirm="Fresh#2027ok",
                                   client_id="192.0.2.67")
    assert (await steps.sign_in_as(ctx, number, "Fresh#2027ok", client_id="192.0.2.67")).session_token


async def test_r_id_8_one_client_failing_on_many_accounts_is_locked(make_ctx, steps) -> None:
    ctx = await make_ctx(login_client_max_failures=4)
    _, number = await steps.register(ctx)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            await steps.sign_in_as(ctx, steps.new_id_number(), client_id="192.0.2.50")
    with pytest.raises(TooManyRequests):
        await steps.sign_in_as(ctx, number, client_id="192.0.2.50")
    assert await steps.sign_in_as(ctx, number, client_id="192.0.2.51")  # another client is not affected


async def test_r_id_3_sign_in_renews_a_hash_made_with_older_parameters(make_ctx, steps, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'rehash.sqlite3'}"
    old = await make_ctx(url, argon2_memory_kib=128)
    account_id, number = await steps.register(old)
    new = await make_ctx(url, argon2_memory_kib=256)
    await steps.sign_in_as(new, number)
    async with new.reading() as session:
        stored = await session.scalar(select(orm.accounts.c.password_hash).where(orm.accounts.c.id == account_id))
    assert "m=256," in stored and new.hasher.verify(stored, steps.PASSWORD)


async def test_r_id_12_sign_out_ends_the_session_on_the_server(ctx, steps) -> None:
    account_id, number = await steps.register(ctx)
    signed = await steps.sign_in_as(ctx, number)
    resolved = await sign_in.resolve_session(ctx, signed.session_token)
    assert resolved.subject_id == account_id and resolved.roles == ("APPLICANT",)
    assert resolved.masked_document_number == f"{number[:4]}**********{number[-4:]}"
    assert resolved.real_name_status == "UNVERIFIED" and resolved.name == "张老师"
    assert await sign_in.sign_out(ctx, signed.session_token)
    with pytest.raises(Unauthenticated):
        await sign_in.resolve_session(ctx, signed.session_token)


async def test_r_id_12_a_session_ends_after_the_idle_time(make_ctx, steps) -> None:
    ctx = await make_ctx(session_idle_minutes=30)
    _, number = await steps.register(ctx)
    signed = await steps.sign_in_as(ctx, number)
    ctx.clock.advance(timedelta(minutes=29))
    assert await sign_in.resolve_session(ctx, signed.session_token)  # use restarts the idle time
    ctx.clock.advance(timedelta(minutes=29))
    assert await sign_in.resolve_session(ctx, signed.session_token)
    ctx.clock.advance(timedelta(minutes=31))
    with pytest.raises(Unauthenticated):
        await sign_in.resolve_session(ctx, signed.session_token)
