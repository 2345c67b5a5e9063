"""Registration (R-ID-1 … R-ID-7) through the service layer, on SQLite and the real Redis."""

from __future__ import annotations

from datetime import timedelta

import pytest
from servicekit.errors import InvalidInput, RuleViolation, TooManyRequests
from servicekit.sealing import DEV_KEYS, Sealer
from sqlalchemy import select
from tqr.identity.v1 import events_pb2
from tqr_identity.adapters import orm
from tqr_identity.service_layer import codes, registration

pytestmark = pytest.mark.redis


async def test_r_id_1_a_wrong_check_character_is_refused_on_the_document_number_field(ctx, steps) -> None:
    number = steps.new_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    mobile = steps.new_mobile()
    with pytest.raises(InvalidInput) as caught:
        await registration.register_account(ctx, steps.registration_of(wrong, mobile, "123456"))
    assert [p.field for p in caught.value.problems] == ["document_number"]
    assert caught.value.problems[0].code == "R-ID-1"


async def test_r_id_1_each_document_type_has_its_own_format(ctx, steps) -> None:
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    with pytest.raises(InvalidInput) as caught:  # an ID-card number is not a Taiwan permit number
        await registration.register_account(ctx, steps.registration_of(steps.new_id_number(), mobile, code,
                                                                       document_type="TW_PERMIT"))
    assert caught.value.problems[0].field == "document_number"
    account = await registration.register_account(ctx, steps.registration_of("12345678", mobile, code,
                                                                             document_type="TW_PERMIT"))
    assert account.document_type.value == "TW_PERMIT" and account.masked_document_number == "1*****78"


async def test_r_wiz_8_a_permit_is_stored_and_announced_masked_by_the_one_rule(ctx, steps) -> None:
    """The stored form every page shows and the AccountRegistered event (whose message the
    notification service sends) keep 3 of the permit's 8 characters, as every other screen does."""
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    account = await registration.register_account(ctx, steps.registration_of("８７６５４３２１", mobile, code,
                                                                             document_type="TW_PERMIT"))
    [event] = await steps.outbox_events(ctx, events_pb2.AccountRegistered)
    async with ctx.reading() as session:
        stored = await session.scalar(select(orm.accounts.c.masked_document_number)
                                      .where(orm.accounts.c.id == account.id))
    assert stored == event.masked_document_number == account.masked_document_number == "8*****21"


async def test_r_id_2_registering_an_existing_document_says_already_registered(ctx, steps) -> None:
    _, number = await steps.register(ctx)
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    with pytest.raises(RuleViolation) as caught:
        await registration.register_account(ctx, steps.registration_of(number.lower(), mobile, code))
    assert caught.value.code == "R-ID-2"
    assert caught.value.message_zh.startswith("该用户已注册") and "忘记密码" in caught.value.message_zh


async def test_r_id_3_password_rules_and_only_a_salted_hash_is_stored(ctx, steps) -> None:
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    with pytest.raises(InvalidInput) as caught:
        await registration.register_account(ctx, steps.registration_of(
            steps.new_id_number(), mobile, code, password="abcdefgh1", password_confirm="abcdefgh2"))
    assert {p.field for p in caught.value.problems} == {"password", "password_confirm"}
    account_id, _ = await steps.register(ctx)
    async with ctx.reading() as session:
        stored = await session.scalar(select(orm.accounts.c.password_hash).where(orm.accounts.c.id == account_id))
    assert stored.startswith("$argon2id$") and steps.PASSWORD not in stored
    assert ctx.hasher.verify(stored, steps.PASSWORD)


async def test_r_id_6_a_refused_password_leaves_the_code_live_for_the_corrected_attempt(ctx, steps) -> None:
    """The gateway shows the typed code again after a password refusal: this is what makes it usable."""
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    number = steps.new_id_number()
    with pytest.raises(InvalidInput):
        await registration.register_account(ctx, steps.registration_of(
            number, mobile, code, password="abcdefgh1", password_confirm="abcdefgh1"))
    account = await registration.register_account(ctx, steps.registration_of(number, mobile, code))
    assert account.mobile == mobile


async def test_r_id_4_email_and_an_eleven_digit_mainland_mobile_are_required(ctx, steps) -> None:
    with pytest.raises(InvalidInput) as caught:
        await registration.register_account(ctx, steps.registration_of(
            steps.new_id_number(), "1234567", "123456", email=""))
    assert {p.field for p in caught.value.problems} == {"mobile", "email"}


async def test_r_id_5_a_code_is_sent_only_after_a_human_pass_which_is_single_use(ctx, steps) -> None:
    mobile = steps.new_mobile()
    with pytest.raises(RuleViolation) as caught:
        await codes.request_registration_code(ctx, pass_token="made-up", purpose="REGISTER", channel="SMS",
                                              destination=mobile, client_id="c")
    assert caught.value.code == "R-ID-5"
    token = await steps.human_pass(ctx)
    await codes.request_registration_code(ctx, pass_token=token, purpose="REGISTER", channel="SMS",
                                          destination=mobile, client_id="c")
    with pytest.raises(RuleViolation):
        await codes.request_registration_code(ctx, pass_token=token, purpose="REGISTER", channel="SMS",
                                              destination=steps.new_mobile(), client_id="c")


async def test_r_id_6_registration_needs_the_live_code_of_that_mobile(ctx, steps) -> None:
    mobile, other = steps.new_mobile(), steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    with pytest.raises(RuleViolation) as caught:  # no code was ever sent to this number
        await registration.register_account(ctx, steps.registration_of(steps.new_id_number(), other, code))
    assert caught.value.code == "R-ID-6"
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(InvalidInput) as wrong_code:
        await registration.register_account(ctx, steps.registration_of(steps.new_id_number(), mobile, wrong))
    assert wrong_code.value.problems[0].field == "sms_code"
    ctx.clock.advance(timedelta(seconds=ctx.settings.code_validity_seconds + 1))
    with pytest.raises(RuleViolation):  # expired
        await registration.register_account(ctx, steps.registration_of(steps.new_id_number(), mobile, code))


async def test_r_id_6_the_code_event_seals_the_destination_and_masks_the_hint(ctx, steps) -> None:
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    [event] = await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested)
    assert event.code == code and event.purpose == events_pb2.CODE_PURPOSE_REGISTER
    assert event.account_hint == f"{mobile[:3]}****{mobile[-4:]}"
    assert mobile not in event.destination_sealed
    assert Sealer(DEV_KEYS, "code-destination").open(event.destination_sealed) == mobile


async def test_r_id_6_a_second_code_within_the_cooldown_is_refused(ctx, steps) -> None:
    mobile = steps.new_mobile()
    await steps.request_code(ctx, mobile)
    with pytest.raises(TooManyRequests) as caught:
        await steps.request_code(ctx, mobile)
    assert caught.value.code == "R-ID-6" and 0 < caught.value.retry_after <= 60
    ctx.clock.advance(timedelta(seconds=61))
    assert await steps.request_code(ctx, mobile)


async def test_r_id_7_the_current_agreement_must_be_accepted_and_is_recorded(ctx, steps) -> None:
    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    for changes in ({"agreement_accepted": False}, {"agreement_version": "2019-01"}):
        with pytest.raises(InvalidInput) as caught:
            await registration.register_account(ctx, steps.registration_of(steps.new_id_number(), mobile, code,
                                                                           **changes))
        assert caught.value.problems[0].code == "R-ID-7"
    account = await registration.register_account(ctx, steps.registration_of(steps.new_id_number(), mobile, code))
    async with ctx.reading() as session:
        row = (await session.execute(select(orm.accounts).where(orm.accounts.c.id == account.id))).mappings().one()
    assert row["agreement_version"] == ctx.settings.agreement_version
    assert row["agreement_accepted_at"].replace(tzinfo=None) == ctx.clock.now().replace(tzinfo=None)


async def test_r_id_2_account_registered_event_carries_sealed_contacts_only(ctx, steps) -> None:
    mobile = steps.new_mobile()
    account_id, number = await steps.register(ctx, mobile=mobile)
    [event] = await steps.outbox_events(ctx, events_pb2.AccountRegistered)
    assert event.account_id == account_id and event.masked_document_number == f"{number[:4]}**********{number[-4:]}"
    contacts = Sealer(DEV_KEYS, "recipient-contact")
    assert contacts.open(event.mobile_sealed) == mobile and contacts.open(event.email_sealed) == "teacher@example.cn"
    assert number not in event.SerializeToString().decode("latin-1")


def _full_width(typed: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)


async def test_r_wiz_11_numbers_typed_full_width_register_and_sign_in_as_the_ascii_account(ctx, steps) -> None:
    number, mobile = steps.new_id_number(), steps.new_mobile()
    code = await steps.request_code(ctx, _full_width(mobile))  # the code goes to the ASCII number
    account = await registration.register_account(
        ctx, steps.registration_of(_full_width(number[:6]) + " " + number[6:].lower(), _full_width(mobile), code))
    async with ctx.reading() as session:
        row = (await session.execute(select(orm.accounts).where(orm.accounts.c.id == account.id))).one()
    assert row.document_index == ctx.crypto.document_index(number)  # keyed by the canonical number
    signed = await steps.sign_in_as(ctx, _full_width(number))
    assert signed.subject_id == account.id
    # The same person typing ASCII is the same account: already registered (R-ID-2).
    # (R-ID-15: said only once the mobile's code is proven, so the code goes to that mobile.)
    other_mobile = steps.new_mobile()
    again = await steps.request_code(ctx, other_mobile)
    with pytest.raises(RuleViolation) as caught:
        await registration.register_account(ctx, steps.registration_of(number, other_mobile, again))
    assert caught.value.code == "R-ID-2"
