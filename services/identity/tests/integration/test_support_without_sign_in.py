"""R-ID-11: a person who lost the registered mobile or email and cannot sign in asks staff for new
contact details with a document photo, without revealing whether a document is registered."""

from __future__ import annotations

from typing import Any

import aio_pika
import grpc
import pyotp
import pytest
from servicekit.errors import InvalidInput, RuleViolation, TooManyRequests
from servicekit.rpc.client import open_channel
from servicekit.rpc.errors import from_rpc_error
from servicekit.sealing import DEV_KEYS, Sealer
from sqlalchemy import func, select
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD
from tqr.identity.v1 import events_pb2, identity_pb2, identity_pb2_grpc
from tqr_identity.adapters import orm
from tqr_identity.bootstrap import build_host
from tqr_identity.seed import DEMO_STAFF, DEMO_STAFF_PASSWORD, seed_context
from tqr_identity.service_layer import attachments, passwords, profile, support
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.support_without_sign_in import (
    AnonymousSupportRequest,
    create_support_request_without_sign_in,
)

pytestmark = pytest.mark.redis
REVIEWER = Caller("staff-reviewer-1", "IDENTITY_REVIEWER", "")
CONTACT = Sealer(DEV_KEYS, "recipient-contact")


async def ask(ctx, steps, number: str, *, client_id: str = "198.51.100.30", photos: Any = None,
              **changes: Any):
    values: dict[str, Any] = {
        "document_type": "ID_CARD", "document_number": number, "name": "张老师",
        "pass_token": await steps.human_pass(ctx), "client_id": client_id,
        "requested_mobile": steps.new_mobile(), "explanation": "原手机号已停用，忘记密码", **changes,
    }
    uploads = [attachments.Upload("id.png", steps.png_bytes())] if photos is None else photos
    return await create_support_request_without_sign_in(ctx, AnonymousSupportRequest(**values), uploads)


async def counts(ctx) -> tuple[int, int]:
    async with ctx.reading() as session:
        requests = await session.scalar(select(func.count()).select_from(orm.support_requests))
        photos = await session.scalar(select(func.count()).select_from(orm.stored_photos))
    return int(requests or 0), int(photos or 0)


async def test_r_id_11_without_sign_in_a_flagged_request_is_approved_and_the_new_mobile_applied(ctx, steps) -> None:
    account_id, number = await steps.register(ctx)
    new_mobile = steps.new_mobile()
    await ask(ctx, steps, number, requested_mobile=new_mobile, name="张 老师")
    [request], _ = await support.list_support_requests(ctx, REVIEWER, "PENDING", 20, 0)
    assert (request.account_id, request.without_sign_in, request.claimed_name) == (account_id, True, "张 老师")
    assert request.requested_mobile == new_mobile and len(request.photo_ids) == 1
    await support.decide_support_request(ctx, REVIEWER, request.id, "APPROVED", "")
    assert (await profile.get_account(ctx, account_id)).account.mobile == new_mobile
    [changed] = await steps.outbox_events(ctx, events_pb2.ContactDetailsChanged)
    assert CONTACT.open(changed.mobile_sealed) == new_mobile
    [decided] = await steps.outbox_events(ctx, events_pb2.SupportRequestDecided)
    assert decided.without_sign_in and CONTACT.open(decided.requested_mobile_sealed) == new_mobile
    # The person can now reset the password with a code sent to the new number.
    await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=number, channel="SMS",
                                           pass_token=await steps.human_pass(ctx), client_id="c")
    reset_code = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1]
    assert reset_code.account_hint.endswith(new_mobile[-4:])


async def test_r_id_11_without_sign_in_an_unknown_document_gets_the_same_answer_and_nothing_is_stored(
        ctx, steps) -> None:
    _, number = await steps.register(ctx)
    known = await ask(ctx, steps, number)
    before = await counts(ctx)
    assert before == (1, 1)
    unknown = await ask(ctx, steps, steps.new_id_number())
    assert (unknown.working_days, unknown.answer_by, unknown.message_zh, unknown.message_en) == (
        known.working_days, known.answer_by, known.message_zh, known.message_en)
    assert known.working_days == ctx.settings.support_anon_answer_working_days
    assert await counts(ctx) == before
    assert not await steps.outbox_events(ctx, events_pb2.SupportRequestDecided)


async def test_r_id_11_without_sign_in_needs_a_human_pass_a_photo_and_a_new_contact(ctx, steps) -> None:
    _, number = await steps.register(ctx)
    with pytest.raises(RuleViolation) as no_pass:
        await ask(ctx, steps, number, pass_token="made-up")
    assert no_pass.value.code == "R-ID-5"
    with pytest.raises(InvalidInput) as no_photo:
        await ask(ctx, steps, number, photos=[])
    assert no_photo.value.problems[0].field == "photos"
    with pytest.raises(InvalidInput) as no_contact:
        await ask(ctx, steps, number, requested_mobile="", requested_email="")
    assert no_contact.value.problems[0].field == "requested_mobile"
    with pytest.raises(InvalidInput) as name_change:  # only contact changes without signing in
        await ask(ctx, steps, number, kind="CORRECT_NAME")
    assert name_change.value.problems[0].field == "kind"
    with pytest.raises(InvalidInput) as bad_number:
        await ask(ctx, steps, number[:-1])
    assert bad_number.value.problems[0].field == "document_number"
    assert await counts(ctx) == (0, 0)


async def test_r_id_11_without_sign_in_is_capped_per_document_and_per_client(make_ctx, steps) -> None:
    ctx = await make_ctx(support_anon_daily_per_document=2, support_anon_daily_per_client=3)
    _, number = await steps.register(ctx)
    await ask(ctx, steps, number, client_id="203.0.113.1")
    await ask(ctx, steps, number, client_id="203.0.113.2")
    with pytest.raises(TooManyRequests) as per_document:  # a third client, the same document
        await ask(ctx, steps, number, client_id="203.0.113.3")
    assert per_document.value.code == "R-ID-11" and per_document.value.retry_after > 0
    unknown = steps.new_id_number()  # an unregistered document is counted the same way
    await ask(ctx, steps, unknown, client_id="203.0.113.4")
    await ask(ctx, steps, unknown, client_id="203.0.113.5")
    with pytest.raises(TooManyRequests):
        await ask(ctx, steps, unknown, client_id="203.0.113.6")
    for _ in range(3):  # one client, different documents
        await ask(ctx, steps, steps.new_id_number(), client_id="203.0.113.7")
    with pytest.raises(TooManyRequests) as per_client:
        await ask(ctx, steps, steps.new_id_number(), client_id="203.0.113.7")
    assert per_client.value.code == "R-ID-11"
    ctx.clock.advance(hours=24)  # a new day in China
    await ask(ctx, steps, number, client_id="203.0.113.7")
    assert (await counts(ctx))[0] == 3


@pytest.mark.broker
async def test_r_id_11_without_sign_in_over_grpc_answers_alike_and_the_reviewer_sees_the_flag(
        steps, pg_url, amqp_url, queue_prefix, redis_client, tmp_path) -> None:
    client, prefix = redis_client
    steps.migrations.upgrade(steps.MIGRATIONS, pg_url)
    settings = steps.test_settings(pg_url, prefix, tmp_path, amqp_url=amqp_url, queue_prefix=queue_prefix,
                                   exchange=f"{queue_prefix}events", outbox_poll_seconds=0.1)
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    listener = await channel.declare_queue(f"{queue_prefix}listener", auto_delete=True)
    await listener.bind(exchange, "tqr.identity.v1.#")
    host = build_host(settings, redis=client)
    await host.start()
    try:
        await seed_context(host.context)
        account_id, number = await steps.register(host.context)
        new_email = "new.mailbox@example.cn"
        async with open_channel(f"127.0.0.1:{host.port}", "tqr.identity.v1.IdentityService") as rpc:
            stub = identity_pb2_grpc.IdentityServiceStub(rpc)

            async def send(document_number: str) -> identity_pb2.CreateSupportRequestWithoutSignInResponse:
                return await stub.CreateSupportRequestWithoutSignIn(
                    identity_pb2.CreateSupportRequestWithoutSignInRequest(
                        document_type=DOCUMENT_TYPE_ID_CARD, document_number=document_number, name="张老师",
                        pass_token=await steps.human_pass(host.context), kind="CHANGE_CONTACT",
                        requested_email=new_email, client_id="198.51.100.40",
                        photos=[identity_pb2.UploadedPhoto(file_name="id.png", content=steps.png_bytes())]))

            known, unknown = await send(number), await send(steps.new_id_number())
            assert known == unknown and known.received and known.message_zh.startswith("我们已收到您的申请")
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.CreateSupportRequestWithoutSignIn(identity_pb2.CreateSupportRequestWithoutSignInRequest(
                    document_type=DOCUMENT_TYPE_ID_CARD, document_number=number, name="张老师", pass_token="nope",
                    requested_email=new_email, client_id="198.51.100.40",
                    photos=[identity_pb2.UploadedPhoto(file_name="id.png", content=steps.png_bytes())]))
            assert from_rpc_error(refused.value).code == "R-ID-5"

            reviewer = next(s for s in DEMO_STAFF if s.role.value == "IDENTITY_REVIEWER")
            staff = await stub.StaffSignIn(identity_pb2.StaffSignInRequest(
                username=reviewer.username, password=DEMO_STAFF_PASSWORD,
                totp_code=pyotp.TOTP(reviewer.totp_secret).now(), client_id="10.0.0.5"))
            me = await stub.ResolveSession(identity_pb2.ResolveSessionRequest(session_token=staff.session_token))
            actor = metadata_for(Actor(subject_id=me.subject_id, role=me.roles[0], display_name=me.name))
            listed = await stub.ListSupportRequests(identity_pb2.ListSupportRequestsRequest(), metadata=actor)
            [request] = listed.requests
            assert (request.account_id, request.without_sign_in, request.claimed_name) == (account_id, True, "张老师")
            decided = await stub.DecideSupportRequest(identity_pb2.DecideSupportRequestRequest(
                request_id=request.request_id, decision=identity_pb2.REVIEW_STATUS_APPROVED), metadata=actor)
            assert decided.status == identity_pb2.REVIEW_STATUS_APPROVED
        assert (await profile.get_account(host.context, account_id)).account.email == new_email
    finally:
        await host.stop()
        await connection.close()
