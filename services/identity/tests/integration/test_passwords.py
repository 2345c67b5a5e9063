"""Changing (R-ID-3, R-ID-12) and resetting (R-ID-11, R-ID-12) the password."""

from __future__ import annotations

import pytest
from servicekit.errors import InvalidInput, RuleViolation, Unauthenticated
from servicekit.sealing import DEV_KEYS, Sealer
from tqr.identity.v1 import events_pb2
from tqr_identity.service_layer import passwords, sign_in

pytestmark = pytest.mark.redis
NEW = "Fresh#2027ok"


async def test_r_id_12_changing_the_password_ends_every_other_session(ctx, steps) -> None:
    account_id, number = await steps.register(ctx)
    current = await steps.sign_in_as(ctx, number)
    other = await steps.sign_in_as(ctx, number, client_id="198.51.100.99")
    with pytest.raises(InvalidInput) as caught:
        await passwords.change_password(ctx, account_id, current_password="Wrong#pass1", new_password=NEW,
                                        new_password_confirm=NEW, keep_session_token=current.session_token)
    assert caught.value.problems[0].field == "current_password"
    ended = await passwords.change_password(ctx, account_id, current_password=steps.PASSWORD, new_password=NEW,
                                            new_password_confirm=NEW, keep_session_token=current.session_token)
    assert ended == 1
    assert await sign_in.resolve_session(ctx, current.session_token)
    with pytest.raises(Unauthenticated):
        await sign_in.resolve_session(ctx, other.session_token)
    assert await steps.sign_in_as(ctx, number, NEW)
    [event] = await steps.outbox_events(ctx, events_pb2.PasswordChanged)
    assert event.account_id == account_id and event.via == "CHANGE"


async def test_r_id_3_a_new_password_follows_the_policy(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx)
    with pytest.raises(InvalidInput) as caught:
        await passwords.change_password(ctx, account_id, current_password=steps.PASSWORD, new_password="short1#",
                                        new_password_confirm="short1#", keep_session_token="")
    assert caught.value.code == "R-ID-3"


async def test_r_id_11_reset_with_a_code_to_the_registered_mobile_ends_all_sessions(ctx, steps) -> None:
    mobile = steps.new_mobile()
    account_id, number = await steps.register(ctx, mobile=mobile)
    session = await steps.sign_in_as(ctx, number)
    ctx.clock.advance(seconds=61)  # the resend cooldown of that mobile, started by registration
    sent = await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=number,
                                                  channel="SMS", pass_token=await steps.human_pass(ctx),
                                                  client_id="c")
    assert sent.destination_hint == ""  # R-ID-15: the answer names no contact
    event = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1]
    assert event.account_hint == f"{mobile[:3]}****{mobile[-4:]}"  # the message itself may
    assert event.purpose == events_pb2.CODE_PURPOSE_RESET_PASSWORD
    assert Sealer(DEV_KEYS, "code-destination").open(event.destination_sealed) == mobile
    ended = await passwords.reset_password(ctx, document_type="ID_CARD", document_number=number, channel="SMS",
                                           code=event.code, new_password=NEW, new_password_confirm=NEW)
    assert ended == 1
    with pytest.raises(Unauthenticated):
        await sign_in.resolve_session(ctx, session.session_token)
    assert await steps.sign_in_as(ctx, number, NEW)
    # The password itself went nowhere: no event carries it.
    for env in await steps.outbox_events(ctx):
        assert NEW.encode() not in env.SerializeToString() and steps.PASSWORD.encode() not in env.SerializeToString()
    changed = await steps.outbox_events(ctx, events_pb2.PasswordChanged)
    assert [(e.account_id, e.via) for e in changed] == [(account_id, "RESET")]


async def test_r_id_11_reset_by_email_and_the_code_is_single_use(ctx, steps) -> None:
    _, number = await steps.register(ctx, email="Reset.Me@Example.CN")
    sent = await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=number,
                                                  channel="EMAIL", pass_token=await steps.human_pass(ctx),
                                                  client_id="c")
    assert sent.destination_hint == ""
    event = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1]
    assert event.account_hint == "R***@example.cn"
    assert event.channel == events_pb2.CODE_CHANNEL_EMAIL
    assert Sealer(DEV_KEYS, "code-destination").open(event.destination_sealed) == "Reset.Me@example.cn"
    await passwords.reset_password(ctx, document_type="ID_CARD", document_number=number, channel="EMAIL",
                                   code=event.code, new_password=NEW, new_password_confirm=NEW)
    with pytest.raises(RuleViolation):
        await passwords.reset_password(ctx, document_type="ID_CARD", document_number=number, channel="EMAIL",
                                       code=event.code, new_password="Other#2028ok", new_password_confirm="Other#2028ok")


async def test_r_id_11_reset_of_an_unknown_document_needs_a_human_pass_first(ctx, steps) -> None:
    with pytest.raises(RuleViolation) as no_pass:
        await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=steps.new_id_number(),
                                               channel="SMS", pass_token="", client_id="c")
    assert no_pass.value.code == "R-ID-5"
