"""A fake identity service for the account tests: a real grpc.aio server in this process with
canned answers, so the gateway's real client code path (channels, metadata, Problems) runs.

Imported by the test_account_*.py modules as ``services.gateway.tests.unit.account_fakes``.
"""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from servicekit import devpki, errors
from servicekit.rpc.actor import ACTOR_METADATA_KEY, new_key_pair
from servicekit.rpc.server import create_server
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD, GENDER_FEMALE, ROLE_APPLICANT, ROLE_IDENTITY_REVIEWER
from tqr.identity.v1 import identity_pb2
from tqr.identity.v1 import identity_pb2_grpc as rpc
from tqr.identity.v1.identity_pb2 import REVIEW_STATUS_PENDING
from tqr.notification.v1 import notification_pb2, notification_pb2_grpc
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.ratelimit import FixedWindowLimiter

SLIDER_ANSWER = "117"
TEXT_ANSWER = "12"
GOOD_PASSWORD = "Teach#2026ok"


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def account_view(**overrides: Any) -> identity_pb2.AccountView:
    values: dict[str, Any] = dict(
        account_id="acc-1", document_type=DOCUMENT_TYPE_ID_CARD, document_type_label_zh="居民身份证",
        masked_document_number="1101**********002X", name="张老师", email="teacher@example.cn",
        masked_mobile="138****0000", gender=GENDER_FEMALE, birth_date="1980-01-01", real_name_status="UNVERIFIED",
        agreement_version="2026-01",
    )
    values.update(overrides)
    return identity_pb2.AccountView(**values)


@dataclass
class FakeIdentity(rpc.IdentityServiceServicer):
    """Records every call; ``fail[method]`` makes that RPC raise the given refusal once per call."""

    calls: list[tuple[str, Any, Actor | None]] = field(default_factory=list)
    fail: dict[str, errors.ServiceError] = field(default_factory=dict)
    account: identity_pb2.AccountView = field(default_factory=account_view)
    sessions: dict[str, identity_pb2.ResolveSessionResponse] = field(default_factory=dict)
    identity_down: bool = False  # ResolveSession answers UNAVAILABLE, as during an outage
    sessions_ended: int = 3  # what ResetPassword says it ended
    # What notification's DevOutboxService answers (FakeDevOutbox, on the same server), newest first.
    outbox: list[notification_pb2.OutboxMessage] = field(default_factory=list)
    verify_outcome: identity_pb2.VerifyRealNameResponse = field(
        default_factory=lambda: identity_pb2.VerifyRealNameResponse(verified=True, real_name_status="VERIFIED",
                                                                   name="张老师"))

    def _record(self, method: str, request: Any, context: Any) -> None:
        actor = None
        for key, value in context.invocation_metadata() or ():
            if key == ACTOR_METADATA_KEY:
                actor = Actor()
                actor.ParseFromString(value)
        self.calls.append((method, request, actor))
        if method in self.fail:
            raise self.fail[method]

    def requests(self, method: str) -> list[Any]:
        return [request for name, request, _ in self.calls if name == method]

    def sign_in_applicant(self, status: str = "UNVERIFIED") -> str:
        token = uuid.uuid4().hex
        self.sessions[token] = identity_pb2.ResolveSessionResponse(
            subject_id="acc-1", kind="applicant", roles=[ROLE_APPLICANT], name="张老师",
            masked_document_number="1101**********002X", real_name_status=status)
        return token

    async def IssueHumanCheck(self, request: Any, context: Any) -> Any:
        self._record("IssueHumanCheck", request, context)
        if request.kind == identity_pb2.HUMAN_CHECK_KIND_TEXT:
            return identity_pb2.IssueHumanCheckResponse(challenge_id="text-1", kind=request.kind,
                                                        question="小明有七个苹果，又买了五个。小明现在总共有几个苹果？")
        return identity_pb2.IssueHumanCheckResponse(
            challenge_id="slider-1", kind=identity_pb2.HUMAN_CHECK_KIND_SLIDER, background_image=jpeg(320, 160),
            background_media_type="image/jpeg", piece_png=png(60, 60), piece_y=40, width=320, height=160)

    async def AnswerHumanCheck(self, request: Any, context: Any) -> Any:
        self._record("AnswerHumanCheck", request, context)
        right = TEXT_ANSWER if request.kind == identity_pb2.HUMAN_CHECK_KIND_TEXT else SLIDER_ANSWER
        passed = request.answer == right
        return identity_pb2.AnswerHumanCheckResponse(passed=passed, pass_token="pass-1" if passed else "")

    async def RequestVerificationCode(self, request: Any, context: Any) -> Any:
        self._record("RequestVerificationCode", request, context)
        return identity_pb2.RequestVerificationCodeResponse(destination_hint="138****0000", expires_in_seconds=300,
                                                            resend_after_seconds=60)

    async def GetRegistrationOptions(self, request: Any, context: Any) -> Any:
        self._record("GetRegistrationOptions", request, context)
        return identity_pb2.GetRegistrationOptionsResponse(
            document_types=[identity_pb2.DocumentTypeOption(code=DOCUMENT_TYPE_ID_CARD, label_zh="居民身份证",
                                                            label_en="Resident ID card", format_hint_zh="18 位")],
            agreement_version="2026-01", password_special_characters="#%*-_!@$&")

    async def RegisterAccount(self, request: Any, context: Any) -> Any:
        self._record("RegisterAccount", request, context)
        if not request.sms_code:  # the real service refuses every missing field at once
            problems = [errors.FieldProblem("sms_code", "R-ID-6", "请输入短信验证码", "Enter the code")]
            if not request.password:
                problems.append(errors.FieldProblem("password", "R-ID-3", "请输入密码", "Enter a password"))
            if not re.fullmatch(r"\d{17}[\dX]", request.document_number):
                problems.append(errors.FieldProblem("document_number", "R-ID-1", "证件号码格式不正确",
                                                    "The document number is not valid"))
            raise errors.InvalidInput(problems)
        return identity_pb2.RegisterAccountResponse(account_id="acc-1", masked_document_number="1101**********002X")

    async def SignIn(self, request: Any, context: Any) -> Any:
        self._record("SignIn", request, context)
        if request.password != GOOD_PASSWORD:
            raise errors.Unauthenticated("R-ID-8", "登录失败", "Sign-in failed")
        token = self.sign_in_applicant()
        return identity_pb2.SignInResponse(session_token=token, subject_id="acc-1", kind="applicant",
                                           roles=[ROLE_APPLICANT])

    async def StaffSignIn(self, request: Any, context: Any) -> Any:
        self._record("StaffSignIn", request, context)
        if request.totp_code != "123456":
            raise errors.Unauthenticated("R-ID-8", "登录失败", "Sign-in failed")
        token = uuid.uuid4().hex
        self.sessions[token] = identity_pb2.ResolveSessionResponse(subject_id="staff-1", kind="staff",
                                                                   roles=[ROLE_IDENTITY_REVIEWER], name="审核员")
        return identity_pb2.SignInResponse(session_token=token, subject_id="staff-1", kind="staff",
                                           roles=[ROLE_IDENTITY_REVIEWER])

    async def SignOut(self, request: Any, context: Any) -> Any:
        self._record("SignOut", request, context)
        return identity_pb2.SignOutResponse(ended=self.sessions.pop(request.session_token, None) is not None)

    async def ResolveSession(self, request: Any, context: Any) -> Any:
        if self.identity_down:
            raise errors.DependencyUnavailable("DATABASE_DOWN", "暂时无法处理", "Briefly unavailable")
        found = self.sessions.get(request.session_token)
        if found is None:
            raise errors.Unauthenticated("SESSION_ENDED", "登录已失效", "Session ended")
        return found

    async def GetAccount(self, request: Any, context: Any) -> Any:
        self._record("GetAccount", request, context)
        return identity_pb2.GetAccountResponse(account=self.account)

    async def UpdateProfile(self, request: Any, context: Any) -> Any:
        self._record("UpdateProfile", request, context)
        return identity_pb2.GetAccountResponse(account=self.account)

    async def ChangePassword(self, request: Any, context: Any) -> Any:
        self._record("ChangePassword", request, context)
        return identity_pb2.ChangePasswordResponse(other_sessions_ended=2)

    async def RequestPasswordReset(self, request: Any, context: Any) -> Any:
        self._record("RequestPasswordReset", request, context)
        return identity_pb2.RequestVerificationCodeResponse(destination_hint="",
                                                            expires_in_seconds=300, resend_after_seconds=60)

    async def ResetPassword(self, request: Any, context: Any) -> Any:
        self._record("ResetPassword", request, context)
        return identity_pb2.ResetPasswordResponse(sessions_ended=self.sessions_ended)

    async def RequestEmailChange(self, request: Any, context: Any) -> Any:
        self._record("RequestEmailChange", request, context)
        if request.current_password != GOOD_PASSWORD:
            raise errors.InvalidInput([errors.FieldProblem("current_password", "R-ID-14", "当前密码不正确",
                                                           "The current password is not right")])
        return identity_pb2.RequestVerificationCodeResponse(destination_hint="n***@example.cn",
                                                            expires_in_seconds=300, resend_after_seconds=60)

    async def ConfirmEmailChange(self, request: Any, context: Any) -> Any:
        self._record("ConfirmEmailChange", request, context)
        return identity_pb2.GetAccountResponse(account=self.account)

    async def VerifyRealName(self, request: Any, context: Any) -> Any:
        self._record("VerifyRealName", request, context)
        return self.verify_outcome

    async def RequestManualReview(self, request: Any, context: Any) -> Any:
        self._record("RequestManualReview", request, context)
        return identity_pb2.ManualReviewCase(case_id="case-1", status=REVIEW_STATUS_PENDING, due_date="2026-12-09")

    async def CreateSupportRequest(self, request: Any, context: Any) -> Any:
        self._record("CreateSupportRequest", request, context)
        return identity_pb2.SupportRequest(request_id="sr-1", kind=request.kind, status=REVIEW_STATUS_PENDING)

    async def CreateSupportRequestWithoutSignIn(self, request: Any, context: Any) -> Any:
        self._record("CreateSupportRequestWithoutSignIn", request, context)
        return identity_pb2.CreateSupportRequestWithoutSignInResponse(
            received=True, working_days=7, answer_by="2026-12-10", message_zh="我们已收到您的申请。",
            message_en="We have received your request.")


class FakeDevOutbox(notification_pb2_grpc.DevOutboxServiceServicer):
    """Notification's development outbox, answering ``fake.outbox``; the call is recorded in ``fake.calls``."""

    def __init__(self, fake: FakeIdentity) -> None:
        self.fake = fake

    async def ListOutboxMessages(self, request, context):  # type: ignore[no-untyped-def]
        self.fake._record("ListOutboxMessages", request, context)
        return notification_pb2.ListOutboxMessagesResponse(messages=self.fake.outbox)


class FakeServer:
    """The fake on a real gRPC server, in a thread with its own event loop."""

    def __init__(self, fake: FakeIdentity) -> None:
        self.fake = fake
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self.server, _ = create_server(
            "identity",
            [lambda s: rpc.add_IdentityServiceServicer_to_server(self.fake, s),
             lambda s: notification_pb2_grpc.add_DevOutboxServiceServicer_to_server(FakeDevOutbox(self.fake), s)],
            ["tqr.identity.v1.IdentityService", "tqr.notification.v1.DevOutboxService"])
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()

    def __enter__(self) -> FakeServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(None), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def _production_only() -> dict[str, str]:
    """What production needs beyond the test's addresses: a signing key of its own and the gateway's
    certificate (its channels read the files at start)."""
    files = devpki.ensure(Path(tempfile.mkdtemp(prefix="tqr-gateway-tls-")), ["gateway"])["gateway"]
    return {"actor_signing_keys": new_key_pair("gateway.test")[0], "tls_cert": files.cert, "tls_key": files.key,
            "tls_ca": files.ca}


@contextmanager
def gateway(fake: FakeIdentity, environment: str = "development") -> Iterator[TestClient]:
    """A TestClient of the real gateway app whose identity channel reaches ``fake``."""
    with FakeServer(fake) as server:
        address = f"127.0.0.1:{server.port}"
        settings = GatewaySettings.model_validate({
            "TQR_ENVIRONMENT": environment, "identity_addresses": address, "application_addresses": address,
            "notification_addresses": address, "documents_addresses": address,
            "secret_key": "test-gateway-secret-0123456789abcdef", "TQR_REDIS_URL": "redis://127.0.0.1:6379/0",
            # Production refuses the development signing key (the fakes verify only that one, so a
            # production gateway here must not call them with a session).
            **(_production_only() if environment == "production" else {}),
        })
        assert settings.environment == environment

        app = create_app(settings)  # the lifespan opens the channels inside the client's loop
        with TestClient(app, base_url="https://testserver") as client:
            # A fresh rate-limit namespace per test, so tests never share counters.
            app.state.rate_limiter = FixedWindowLimiter(app.state.redis, prefix=f"tqr-test:{uuid.uuid4().hex}:")
            yield client


def csrf(client: TestClient, path: str = "/help/faq") -> str:
    html = client.get(path).text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)
