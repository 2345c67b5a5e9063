"""R-ID-14: the account's email changes only with the current password and a code sent to the new
address, and the old address is told. A session alone changes nothing."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from servicekit.errors import InvalidInput, RuleViolation, TooManyRequests
from servicekit.sealing import DEV_KEYS, Sealer
from tqr.identity.v1 import events_pb2
from tqr_identity.service_layer import email_change, profile

pytestmark = pytest.mark.redis
OLD, NEW = "old.address@example.cn", "new.address@example.cn"
CLIENT = "198.51.100.50"


async def _email_of(ctx, account_id: str) -> str:
    return (await profile.get_account(ctx, account_id)).account.email


async def test_r_id_14_the_profile_alone_does_not_change_the_email(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx, email=OLD)
    with pytest.raises(RuleViolation) as refused:
        await profile.update_profile(ctx, account_id, profile.ProfileChanges(ethnicity="回族", email=NEW))
    assert refused.value.code == "R-ID-14"
    assert await _email_of(ctx, account_id) == OLD
    assert (await profile.get_account(ctx, account_id)).account.ethnicity == ""  # nothing else changed either
    assert await steps.outbox_events(ctx, events_pb2.ContactDetailsChanged) == []


async def test_r_id_14_a_wrong_password_sends_no_code_and_counts_as_a_failed_sign_in(make_ctx, steps) -> None:
    ctx = await make_ctx(login_pair_max_failures=3)
    account_id, _ = await steps.register(ctx, email=OLD)
    codes_before = len(await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))
    for _ in range(3):
        with pytest.raises(InvalidInput) as refused:
            await email_change.request_email_change(ctx, account_id, new_email=NEW, current_password="Wrong#pass1",
                                                    client_id=CLIENT)
        assert [p.field for p in refused.value.problems] == ["current_password"]
    with pytest.raises(TooManyRequests):  # the guesses lock this address out of the account
        await email_change.request_email_change(ctx, account_id, new_email=NEW, current_password=steps.PASSWORD,
                                                client_id=CLIENT)
    assert len(await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested)) == codes_before
    assert await _email_of(ctx, account_id) == OLD


async def test_r_id_14_the_code_sent_to_the_new_address_changes_it_and_the_old_one_is_told(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx, email=OLD)
    sent = await email_change.request_email_change(ctx, account_id, new_email=" New.Address@Example.CN ",
                                                   current_password=steps.PASSWORD, client_id=CLIENT)
    assert sent.destination_hint == "N***@example.cn"  # the address the person just typed
    code_event = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1]
    assert (code_event.purpose, code_event.channel) == (events_pb2.CODE_PURPOSE_CHANGE_CONTACT,
                                                        events_pb2.CODE_CHANNEL_EMAIL)
    assert Sealer(DEV_KEYS, "code-destination").open(code_event.destination_sealed) == "New.Address@example.cn"
    assert await _email_of(ctx, account_id) == OLD  # nothing changes before the code

    wrong = "000000" if code_event.code != "000000" else "111111"
    with pytest.raises(InvalidInput) as refused:
        await email_change.confirm_email_change(ctx, account_id, new_email="New.Address@example.cn", code=wrong)
    assert refused.value.problems[0].field == "code" and refused.value.code == "R-ID-14"
    assert await _email_of(ctx, account_id) == OLD

    changed = await email_change.confirm_email_change(ctx, account_id, new_email="New.Address@example.cn",
                                                      code=code_event.code)
    assert changed.account.email == await _email_of(ctx, account_id) == "New.Address@example.cn"
    [contact] = await steps.outbox_events(ctx, events_pb2.ContactDetailsChanged)
    assert Sealer(DEV_KEYS, "recipient-contact").open(contact.email_sealed) == "New.Address@example.cn"
    [notice] = await steps.outbox_events(ctx, events_pb2.EmailChanged)
    assert notice.account_id == account_id and notice.masked_new_email == "N***@example.cn"
    # The time is a Timestamp now; the deprecated ISO string is left for events of the previous release.
    assert notice.HasField("changed_at") and not notice.changed_at_iso
    assert abs(notice.changed_at.ToDatetime(tzinfo=UTC) - ctx.clock.now()) < timedelta(minutes=1)
    assert Sealer(DEV_KEYS, "code-destination").open(notice.destination_sealed) == OLD  # the old address is told
    with pytest.raises(RuleViolation):  # the code is used up
        await email_change.confirm_email_change(ctx, account_id, new_email="New.Address@example.cn",
                                                code=code_event.code)


async def test_r_id_14_a_code_is_good_for_the_account_that_asked_for_it_only(ctx, steps) -> None:
    asker, _ = await steps.register(ctx, email=OLD)
    other, _ = await steps.register(ctx, email="someone.else@example.cn")
    await email_change.request_email_change(ctx, asker, new_email=NEW, current_password=steps.PASSWORD,
                                            client_id=CLIENT)
    code = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1].code
    with pytest.raises(RuleViolation):  # no code was sent for the other account
        await email_change.confirm_email_change(ctx, other, new_email=NEW, code=code)
    assert await _email_of(ctx, other) == "someone.else@example.cn"
    assert (await email_change.confirm_email_change(ctx, asker, new_email=NEW, code=code)).account.email == NEW


async def test_r_id_14_the_new_address_must_be_a_new_and_valid_one(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx, email=OLD)
    for typed in ("not-an-address", OLD):
        with pytest.raises(InvalidInput) as refused:
            await email_change.request_email_change(ctx, account_id, new_email=typed,
                                                    current_password=steps.PASSWORD, client_id=CLIENT)
        assert [p.field for p in refused.value.problems] == ["new_email"]
