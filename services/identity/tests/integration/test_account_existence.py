"""R-ID-15: nothing answers whether a document number has an account without a solved human check
and a per-client limit. Registration says "该用户已注册" (R-ID-2) only after the mobile's code is
proven; the password reset answers a registered and an unregistered number alike, in both steps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from servicekit.errors import InvalidInput, RuleViolation, ServiceError, TooManyRequests
from tqr.identity.v1 import events_pb2
from tqr_identity.service_layer import passwords, registration

pytestmark = pytest.mark.redis
NEW = "Fresh#2027ok"


def _answer(refusal: ServiceError) -> tuple[type, str, str, str, list[tuple[str, str]]]:
    problems = [(p.field, p.message_zh) for p in getattr(refusal, "problems", [])]
    return type(refusal), refusal.code, refusal.message_zh, refusal.message_en, problems


async def test_r_id_15_registration_says_nothing_about_a_registered_document_before_the_code(ctx, steps) -> None:
    _, registered = await steps.register(ctx)
    unregistered = steps.new_id_number()
    answers = []
    for number in (registered, unregistered):
        # No code was ever sent to this mobile: a made-up code, as a script would send it.
        with pytest.raises(ServiceError) as made_up:
            await registration.register_account(ctx, steps.registration_of(number, steps.new_mobile(), "123456"))
        answers.append(_answer(made_up.value))
    assert answers[0] == answers[1] and answers[0][1] == "R-ID-6"

    mobile = steps.new_mobile()
    code = await steps.request_code(ctx, mobile)
    wrong = "000000" if code != "000000" else "111111"
    answers = []
    for number in (registered, unregistered):  # a code was sent, but the one typed is wrong
        with pytest.raises(InvalidInput) as caught:
            await registration.register_account(ctx, steps.registration_of(number, mobile, wrong))
        answers.append(_answer(caught.value))
    assert answers[0] == answers[1] and answers[0][1] == "R-ID-6"

    # With the mobile's code proven, the person is told, and pointed to the password reset (R-ID-2).
    with pytest.raises(RuleViolation) as told:
        await registration.register_account(ctx, steps.registration_of(registered, mobile, code))
    assert told.value.code == "R-ID-2" and told.value.message_zh.startswith("该用户已注册")
    assert "忘记密码" in told.value.message_zh


async def test_r_id_15_a_reset_request_answers_alike_and_shows_no_contact(ctx, steps) -> None:
    mobile = steps.new_mobile()
    _, registered = await steps.register(ctx, mobile=mobile, email="teacher.one@example.cn")
    ctx.clock.advance(timedelta(seconds=61))  # the registration code's resend cooldown
    staged_before = len(await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))
    answers = {}
    for name, number in (("registered", registered), ("unregistered", steps.new_id_number())):
        for channel in ("SMS", "EMAIL"):
            sent = await passwords.request_password_reset(
                ctx, document_type="ID_CARD", document_number=number, channel=channel,
                pass_token=await steps.human_pass(ctx), client_id="198.51.100.30")
            answers[(name, channel)] = sent
    assert answers[("registered", "SMS")] == answers[("unregistered", "SMS")]
    assert answers[("registered", "EMAIL")] == answers[("unregistered", "EMAIL")]
    assert {sent.destination_hint for sent in answers.values()} == {""}
    # Codes went to the registered number's mobile and email only.
    staged = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[staged_before:]
    assert len(staged) == 2


async def test_r_id_15_reset_requests_for_unregistered_numbers_count_against_the_client(make_ctx, steps) -> None:
    ctx = await make_ctx(code_daily_cap_per_client=2)
    for _ in range(2):
        await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=steps.new_id_number(),
                                               channel="SMS", pass_token=await steps.human_pass(ctx),
                                               client_id="198.51.100.31")
    with pytest.raises(TooManyRequests) as capped:
        await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=steps.new_id_number(),
                                               channel="SMS", pass_token=await steps.human_pass(ctx),
                                               client_id="198.51.100.31")
    assert capped.value.code == "R-ID-6"


async def test_r_id_15_the_reset_confirmation_answers_alike_for_known_and_unknown_numbers(ctx, steps) -> None:
    _, registered = await steps.register(ctx)
    unregistered = steps.new_id_number()

    async def confirm(number: str, code: str) -> tuple[type, str, str, str, list[tuple[str, str]]]:
        with pytest.raises(ServiceError) as refused:
            await passwords.reset_password(ctx, document_type="ID_CARD", document_number=number, channel="SMS",
                                           code=code, new_password=NEW, new_password_confirm=NEW)
        return _answer(refused.value)

    # Before any code was asked for: the same "no valid code" answer.
    assert await confirm(registered, "123456") == await confirm(unregistered, "123456")
    # After asking for one (the same step for both), a wrong code: the same "wrong code" answer.
    ctx.clock.advance(timedelta(seconds=61))
    for number in (registered, unregistered):
        await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=number, channel="SMS",
                                               pass_token=await steps.human_pass(ctx), client_id="198.51.100.32")
    sent = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1].code
    wrong = "000000" if sent != "000000" else "111111"
    known, unknown = await confirm(registered, wrong), await confirm(unregistered, wrong)
    assert known == unknown and known[0] is InvalidInput and known[1] == "R-ID-6"
