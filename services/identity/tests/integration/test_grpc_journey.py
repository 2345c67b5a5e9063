"""The whole path through the real gRPC server: registration → sign-in → real-name verification
(fails) → manual review → reviewer approval (R-ID-2, R-ID-5, R-ID-8, R-ID-9, R-ID-12, R-STAFF-3),
and a full journey that leaves no clear document or mobile number in the database or the logs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aio_pika
import grpc
import pyotp
import pytest
from servicekit import logs
from servicekit.rpc.client import open_channel
from servicekit.rpc.errors import from_rpc_error
from sqlalchemy import func, select, text
from testkit import wait_for
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD, ROLE_APPLICANT, ROLE_IDENTITY_REVIEWER
from tqr.identity.v1 import events_pb2, identity_pb2, identity_pb2_grpc
from tqr_identity.adapters import orm
from tqr_identity.bootstrap import build_host
from tqr_identity.seed import DEMO_STAFF, DEMO_STAFF_PASSWORD, seed_context

pytestmark = [pytest.mark.redis, pytest.mark.broker]
SERVICE = "tqr.identity.v1.IdentityService"


@dataclass
class Journey:
    number: str
    mobile: str
    email: str
    account_id: str


async def start(steps, db_url, amqp_url, queue_prefix, redis_client, tmp_path):
    """The real host, and a queue standing in for the consumers (publishes are mandatory)."""
    client, prefix = redis_client
    steps.migrations.upgrade(steps.MIGRATIONS, db_url)
    settings = steps.test_settings(db_url, prefix, tmp_path, amqp_url=amqp_url, queue_prefix=queue_prefix,
                                   exchange=f"{queue_prefix}events", outbox_poll_seconds=0.1)
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    listener = await channel.declare_queue(f"{queue_prefix}listener", auto_delete=True)
    await listener.bind(exchange, "tqr.identity.v1.#")
    host = build_host(settings, redis=client)
    await host.start()
    return host, connection, listener


async def received_types(listener) -> list[str]:
    types = []
    while (message := await listener.get(fail=False, no_ack=True)) is not None:
        types.append(message.type)
    return types


async def pass_token(stub, redis, prefix) -> str:
    issued = await stub.IssueHumanCheck(identity_pb2.IssueHumanCheckRequest(kind=identity_pb2.HUMAN_CHECK_KIND_SLIDER))
    assert issued.background_media_type == "image/jpeg" and issued.background_image.startswith(b"\xff\xd8")
    assert issued.width > 0 and issued.height > 0
    gap_x = int(await redis.get(f"{prefix}:slider:{issued.challenge_id}"))
    answer = await stub.AnswerHumanCheck(identity_pb2.AnswerHumanCheckRequest(
        challenge_id=issued.challenge_id, answer=str(gap_x + 2)))
    assert answer.passed
    return answer.pass_token


def as_actor(resolved: identity_pb2.ResolveSessionResponse) -> tuple[tuple[str, bytes], ...]:
    """What the gateway does after ResolveSession: state the caller in the metadata."""
    return metadata_for(Actor(subject_id=resolved.subject_id, role=resolved.roles[0],
                              organisation_code=resolved.organisation_code, display_name=resolved.name))


async def walk(host, steps, redis_client) -> Journey:
    client, prefix = redis_client
    number, mobile, email = steps.new_id_number("320102"), steps.new_mobile(), "journey@example.cn"
    async with open_channel(f"127.0.0.1:{host.port}", SERVICE) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        options = await stub.GetRegistrationOptions(identity_pb2.GetRegistrationOptionsRequest())
        sent = await stub.RequestVerificationCode(identity_pb2.RequestVerificationCodeRequest(
            pass_token=await pass_token(stub, client, prefix), purpose=events_pb2.CODE_PURPOSE_REGISTER,
            channel=events_pb2.CODE_CHANNEL_SMS, destination=mobile, client_id="198.51.100.20"))
        assert sent.destination_hint == f"{mobile[:3]}****{mobile[-4:]}"
        code = await steps.last_code(host.context)
        registered = await stub.RegisterAccount(identity_pb2.RegisterAccountRequest(
            document_type=DOCUMENT_TYPE_ID_CARD, document_number=number, name="孙老师", password=steps.PASSWORD,
            password_confirm=steps.PASSWORD, email=email, mobile=mobile, sms_code=code,
            agreement_version=options.agreement_version, agreement_accepted=True))
        # The new account is signed in: the code proved the person, no second human check needed.
        fresh = await stub.ResolveSession(identity_pb2.ResolveSessionRequest(session_token=registered.session_token))
        assert (fresh.subject_id, fresh.kind) == (registered.account_id, "applicant")
        # R-ID-2, and R-ID-15: said only to someone who proved a mobile with a new code.
        other_mobile = steps.new_mobile()
        await stub.RequestVerificationCode(identity_pb2.RequestVerificationCodeRequest(
            pass_token=await pass_token(stub, client, prefix), purpose=events_pb2.CODE_PURPOSE_REGISTER,
            channel=events_pb2.CODE_CHANNEL_SMS, destination=other_mobile, client_id="198.51.100.20"))
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await stub.RegisterAccount(identity_pb2.RegisterAccountRequest(
                document_type=DOCUMENT_TYPE_ID_CARD, document_number=number, name="孙老师", password=steps.PASSWORD,
                password_confirm=steps.PASSWORD, email=email, mobile=other_mobile,
                sms_code=await steps.last_code(host.context), agreement_version=options.agreement_version,
                agreement_accepted=True))
        assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert from_rpc_error(again.value).message_zh.startswith("该用户已注册")

        with pytest.raises(grpc.aio.AioRpcError) as wrong:  # R-ID-8
            await stub.SignIn(identity_pb2.SignInRequest(
                document_type=DOCUMENT_TYPE_ID_CARD, document_number=number, password="Wrong#pass1",
                pass_token=await pass_token(stub, client, prefix), client_id="198.51.100.20"))
        assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert from_rpc_error(wrong.value).message_zh == "登录失败"
        signed = await stub.SignIn(identity_pb2.SignInRequest(
            document_type=DOCUMENT_TYPE_ID_CARD, document_number=number, password=steps.PASSWORD,
            pass_token=await pass_token(stub, client, prefix), client_id="198.51.100.20"))
        me = await stub.ResolveSession(identity_pb2.ResolveSessionRequest(session_token=signed.session_token))
        assert (me.subject_id, me.kind, list(me.roles)) == (registered.account_id, "applicant", [ROLE_APPLICANT])
        applicant = as_actor(me)

        verified = await stub.VerifyRealName(identity_pb2.VerifyRealNameRequest(), metadata=applicant)
        assert not verified.verified and verified.real_name_status == "FAILED"
        case = await stub.RequestManualReview(identity_pb2.RequestManualReviewRequest(
            photos=[identity_pb2.UploadedPhoto(file_name="front.png", content=steps.png_bytes())]),
            metadata=applicant)
        assert case.status == identity_pb2.REVIEW_STATUS_PENDING and case.due_date
        with pytest.raises(grpc.aio.AioRpcError) as pending:  # R-ID-9: no re-verification while pending
            await stub.VerifyRealName(identity_pb2.VerifyRealNameRequest(), metadata=applicant)
        assert from_rpc_error(pending.value).code == "R-ID-9"

        reviewer = next(s for s in DEMO_STAFF if s.role.value == "IDENTITY_REVIEWER")
        staff = await stub.StaffSignIn(identity_pb2.StaffSignInRequest(
            username=reviewer.username, password=DEMO_STAFF_PASSWORD,
            totp_code=pyotp.TOTP(reviewer.totp_secret).now(), client_id="10.0.0.5"))
        staff_me = await stub.ResolveSession(identity_pb2.ResolveSessionRequest(session_token=staff.session_token))
        assert staff_me.kind == "staff" and list(staff_me.roles) == [ROLE_IDENTITY_REVIEWER]
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.ListManualReviews(identity_pb2.ListManualReviewsRequest(), metadata=applicant)
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        listed = await stub.ListManualReviews(identity_pb2.ListManualReviewsRequest(), metadata=as_actor(staff_me))
        assert [c.case_id for c in listed.cases] == [case.case_id]
        photo = await stub.GetCasePhoto(identity_pb2.GetCasePhotoRequest(photo_id=listed.cases[0].photo_ids[0]),
                                        metadata=as_actor(staff_me))
        assert photo.content_type == "image/png"
        decided = await stub.DecideManualReview(identity_pb2.DecideManualReviewRequest(
            case_id=case.case_id, decision=identity_pb2.REVIEW_STATUS_APPROVED), metadata=as_actor(staff_me))
        assert decided.status == identity_pb2.REVIEW_STATUS_APPROVED

        account = await stub.GetAccount(identity_pb2.GetAccountRequest(), metadata=applicant)
        assert account.account.real_name_status == "VERIFIED" and account.account.masked_mobile.endswith(mobile[-4:])
        assert account.account.document_number == number  # for the application service's registry match
        assert (await stub.SignOut(identity_pb2.SignOutRequest(session_token=signed.session_token))).ended
        with pytest.raises(grpc.aio.AioRpcError) as ended:  # R-ID-12
            await stub.ResolveSession(identity_pb2.ResolveSessionRequest(session_token=signed.session_token))
        assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED
    return Journey(number, mobile, email, registered.account_id)


async def test_r_id_9_registration_sign_in_failed_verification_manual_review_and_approval_over_grpc(
    steps, sqlite_url_for_host, amqp_url, queue_prefix, redis_client, tmp_path
) -> None:
    host, connection, listener = await start(steps, sqlite_url_for_host, amqp_url, queue_prefix, redis_client,
                                             tmp_path)
    try:
        await seed_context(host.context)
        await walk(host, steps, redis_client)

        async def all_published() -> bool:
            async with host.context.reading() as session:
                return not await session.scalar(select(func.count()).select_from(orm.outbox)
                                                .where(orm.outbox.c.published_at.is_(None)))

        await wait_for(all_published, timeout=10, what="the relay to publish every event")
        types = set(await received_types(listener))
        assert {f"tqr.identity.v1.{name}" for name in (
            "AccountRegistered", "VerificationCodeRequested", "RealNameVerificationFailed",
            "ManualReviewRequested", "ManualReviewDecided")} <= types
    finally:
        await host.stop()
        await connection.close()


async def test_no_clear_document_or_mobile_number_in_any_table_log_line_or_redis_key(
    steps, pg_url, amqp_url, queue_prefix, redis_client, tmp_path, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    host, connection, _ = await start(steps, pg_url, amqp_url, queue_prefix, redis_client, tmp_path)
    try:
        await seed_context(host.context)
        journey = await walk(host, steps, redis_client)
        await host.scheduler.run_due()  # the scheduled jobs' rows are looked at too
        secrets = [journey.number, journey.mobile, journey.email]
        async with host.context.reading() as session:
            for table in orm.metadata.sorted_tables:
                rows = (await session.execute(select(table))).all()
                assert rows or table.name in ("inbox", "support_requests"), f"{table.name} is empty"
                for row in rows:
                    for value in row:
                        blob = value if isinstance(value, bytes) else str(value).encode()
                        for secret in secrets:
                            assert secret.encode() not in blob, f"clear personal data in {table.name}"
            assert await session.scalar(text("SELECT count(*) FROM accounts")) > 1
    finally:
        await host.stop()
        await connection.close()
    formatter = logs.JsonFormatter("identity")
    lines = [formatter.format(record) for record in caplog.records]
    assert any("account registered" in line for line in lines)
    for line in lines:
        for secret in secrets:
            assert secret not in line, "clear personal data in a log line"
    client, prefix = redis_client
    async for key in client.scan_iter(match=f"{prefix}:*"):
        for secret in secrets:
            assert secret.encode() not in key
