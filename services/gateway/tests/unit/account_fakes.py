"""A fake of the gateway's identity client (and notification's development outbox) for the account
tests: plain objects in this process with canned answers, put in place of the real clients through
``app.dependency_overrides``, so no gRPC server runs. Refusals arrive as the real clients raise them
(``client_fakes.refused``), so the gateway's own error mapping runs as in production.

Imported by the test_account_*.py modules as ``services.gateway.tests.unit.account_fakes``.
"""

from __future__ import annotations

import io
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from servicekit import devpki, errors
from servicekit.rpc.actor import new_key_pair
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_ID_CARD, GENDER_FEMALE, ROLE_APPLICANT, ROLE_IDENTITY_REVIEWER
from tqr.identity.v1 import identity_pb2
from tqr.identity.v1.identity_pb2 import REVIEW_STATUS_PENDING
from tqr.notification.v1 import notification_pb2
from tqr_gateway import deps
from tqr_gateway.app import create_app
from tqr_gateway.clients.identity import KINDS, Photo
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.ratelimit import FixedWindowLimiter

from services.gateway.tests.unit.client_fakes import Recorder, refused

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
class FakeIdentity(Recorder):
    """The IdentityClient's methods with canned answers; records every call (``requests``) and
    refuses a method named in ``fail``."""

    account: identity_pb2.AccountView = field(default_factory=account_view)
    sessions: dict[str, identity_pb2.ResolveSessionResponse] = field(default_factory=dict)
    identity_down: bool = False  # resolve_session raises UNAVAILABLE, as during an outage
    sessions_ended: int = 3  # what reset_password says it ended
    # What notification's development outbox answers (FakeDevOutbox), newest first.
    outbox: list[notification_pb2.OutboxMessage] = field(default_factory=list)
    verify_outcome: identity_pb2.VerifyRealNameResponse = field(
        default_factory=lambda: identity_pb2.VerifyRealNameResponse(verified=True, real_name_status="VERIFIED",
                                                                   name="张老师"))
    # The real client drops a signed-out token from the gateway's session cache; ``gateway`` wires it.
    forget_session: Callable[[str], None] = lambda token: None

    def sign_in_applicant(self, status: str = "UNVERIFIED") -> str:
        token = uuid.uuid4().hex
        self.sessions[token] = identity_pb2.ResolveSessionResponse(
            subject_id="acc-1", kind="applicant", roles=[ROLE_APPLICANT], name="张老师",
            masked_document_number="1101**********002X", real_name_status=status)
        return token

    async def resolve_session(self, session_token: str) -> identity_pb2.ResolveSessionResponse:
        if self.identity_down:
            raise refused(errors.DependencyUnavailable("DATABASE_DOWN", "暂时无法处理", "Briefly unavailable"))
        found = self.sessions.get(session_token)
        if found is None:
            raise refused(errors.Unauthenticated("SESSION_ENDED", "登录已失效", "Session ended"))
        return found

    async def issue_human_check(self, kind: str, language: str, client_id: str
                                ) -> identity_pb2.IssueHumanCheckResponse:
        self.record("issue_human_check", kind=kind, language=language, client_id=client_id)
        if kind == "text":
            return identity_pb2.IssueHumanCheckResponse(challenge_id="text-1", kind=KINDS["text"],
                                                        question="小明有七个苹果，又买了五个。小明现在总共有几个苹果？")
        return identity_pb2.IssueHumanCheckResponse(
            challenge_id="slider-1", kind=KINDS["slider"], background_image=jpeg(320, 160),
            background_media_type="image/jpeg", piece_png=png(60, 60), piece_y=40, width=320, height=160)

    async def answer_human_check(self, challenge_id: str, answer: str, kind: str) -> str:
        self.record("answer_human_check", challenge_id=challenge_id, answer=answer, kind=kind)
        return "pass-1" if answer == (TEXT_ANSWER if kind == "text" else SLIDER_ANSWER) else ""

    async def request_registration_code(self, **sent: Any) -> identity_pb2.RequestVerificationCodeResponse:
        self.record("request_registration_code", **sent)
        return identity_pb2.RequestVerificationCodeResponse(destination_hint="138****0000", expires_in_seconds=300,
                                                            resend_after_seconds=60)

    async def registration_options(self) -> identity_pb2.GetRegistrationOptionsResponse:
        self.record("registration_options")
        return identity_pb2.GetRegistrationOptionsResponse(
            document_types=[identity_pb2.DocumentTypeOption(code=DOCUMENT_TYPE_ID_CARD, label_zh="居民身份证",
                                                            label_en="Resident ID card", format_hint_zh="18 位")],
            agreement_version="2026-01", password_special_characters="#%*-_!@$&")

    async def register(self, request: identity_pb2.RegisterAccountRequest) -> identity_pb2.RegisterAccountResponse:
        self.record_request("register", request)
        if not request.sms_code:  # the real service refuses every missing field at once
            problems = [errors.FieldProblem("sms_code", "R-ID-6", "请输入短信验证码", "Enter the code")]
            if not request.password:
                problems.append(errors.FieldProblem("password", "R-ID-3", "请输入密码", "Enter a password"))
            if not re.fullmatch(r"\d{17}[\dX]", request.document_number):
                problems.append(errors.FieldProblem("document_number", "R-ID-1", "证件号码格式不正确",
                                                    "The document number is not valid"))
            raise refused(errors.InvalidInput(problems))
        return identity_pb2.RegisterAccountResponse(account_id="acc-1", masked_document_number="1101**********002X")

    async def sign_in(self, **sent: Any) -> identity_pb2.SignInResponse:
        self.record("sign_in", **sent)
        if sent["password"] != GOOD_PASSWORD:
            raise refused(errors.Unauthenticated("R-ID-8", "登录失败", "Sign-in failed"))
        token = self.sign_in_applicant()
        return identity_pb2.SignInResponse(session_token=token, subject_id="acc-1", kind="applicant",
                                           roles=[ROLE_APPLICANT])

    async def staff_sign_in(self, **sent: Any) -> identity_pb2.SignInResponse:
        self.record("staff_sign_in", **sent)
        if sent["totp_code"] != "123456":
            raise refused(errors.Unauthenticated("R-ID-8", "登录失败", "Sign-in failed"))
        token = uuid.uuid4().hex
        self.sessions[token] = identity_pb2.ResolveSessionResponse(subject_id="staff-1", kind="staff",
                                                                   roles=[ROLE_IDENTITY_REVIEWER], name="审核员")
        return identity_pb2.SignInResponse(session_token=token, subject_id="staff-1", kind="staff",
                                           roles=[ROLE_IDENTITY_REVIEWER])

    async def sign_out(self, session_token: str) -> bool:
        self.forget_session(session_token)
        self.record("sign_out", session_token=session_token)
        return self.sessions.pop(session_token, None) is not None

    async def request_password_reset(self, **sent: Any) -> identity_pb2.RequestVerificationCodeResponse:
        self.record("request_password_reset", **sent)
        return identity_pb2.RequestVerificationCodeResponse(destination_hint="", expires_in_seconds=300,
                                                            resend_after_seconds=60)

    async def reset_password(self, **sent: Any) -> int:
        self.record("reset_password", **sent)
        return self.sessions_ended

    async def get_account(self, metadata: Any) -> identity_pb2.AccountView:
        self.record("get_account", metadata)
        return self.account

    async def update_profile(self, metadata: Any, changes: dict[str, str]) -> identity_pb2.AccountView:
        self.record_request("update_profile", changes, metadata)
        return self.account

    async def change_password(self, metadata: Any, **sent: Any) -> int:
        self.record("change_password", metadata, **sent)
        return 2

    async def request_email_change(self, metadata: Any, **sent: Any) -> identity_pb2.RequestVerificationCodeResponse:
        self.record("request_email_change", metadata, **sent)
        if sent["current_password"] != GOOD_PASSWORD:
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "current_password", "R-ID-14", "当前密码不正确", "The current password is not right")]))
        return identity_pb2.RequestVerificationCodeResponse(destination_hint="n***@example.cn",
                                                            expires_in_seconds=300, resend_after_seconds=60)

    async def confirm_email_change(self, metadata: Any, **sent: Any) -> identity_pb2.AccountView:
        self.record("confirm_email_change", metadata, **sent)
        return self.account

    async def verify_real_name(self, metadata: Any, corrected_name: str = "") -> identity_pb2.VerifyRealNameResponse:
        self.record("verify_real_name", metadata, corrected_name=corrected_name)
        return self.verify_outcome

    async def request_manual_review(self, metadata: Any, photos: Sequence[Photo], note: str
                                    ) -> identity_pb2.ManualReviewCase:
        self.record("request_manual_review", metadata, photos=photos, note=note)
        return identity_pb2.ManualReviewCase(case_id="case-1", status=REVIEW_STATUS_PENDING, due_date="2026-12-09")

    async def create_support_request(self, metadata: Any, **sent: Any) -> identity_pb2.SupportRequest:
        self.record("create_support_request", metadata, **sent)
        return identity_pb2.SupportRequest(request_id="sr-1", kind=sent["kind"], status=REVIEW_STATUS_PENDING)

    async def create_support_request_without_sign_in(
            self, **sent: Any) -> identity_pb2.CreateSupportRequestWithoutSignInResponse:
        self.record("create_support_request_without_sign_in", **sent)
        return identity_pb2.CreateSupportRequestWithoutSignInResponse(
            received=True, working_days=7, answer_by="2026-12-10", message_zh="我们已收到您的申请。",
            message_en="We have received your request.")


@dataclass
class FakeDevOutbox:
    """Notification's development outbox client, answering ``fake.outbox``; calls go to ``fake.calls``."""

    fake: FakeIdentity

    async def list_messages(self, limit: int = 50) -> list[notification_pb2.OutboxMessage]:
        self.fake.record("list_outbox_messages", limit=limit)
        return list(self.fake.outbox)


def _production_only(pki: Path) -> dict[str, str]:
    """What production needs beyond the test's addresses: a signing key of its own and the gateway's
    certificate (its channels read the files at start), made in ``pki``."""
    files = devpki.ensure(pki, ["gateway"])["gateway"]
    return {"actor_signing_keys": new_key_pair("gateway.test")[0], "tls_cert": files.cert, "tls_key": files.key,
            "tls_ca": files.ca}


@contextmanager
def gateway(fake: FakeIdentity, environment: str = "development") -> Iterator[TestClient]:
    """A TestClient of the real gateway app whose identity client is ``fake``."""
    # The production gateway's keys live as long as its client: the folder holds a CA's private key.
    with tempfile.TemporaryDirectory(prefix="tqr-gateway-tls-") as pki:
        yield from _gateway(fake, environment, Path(pki))


def _gateway(fake: FakeIdentity, environment: str, pki: Path) -> Iterator[TestClient]:
    address = "127.0.0.1:9"  # no service listens: every call goes to the fakes
    settings = GatewaySettings.model_validate({
        "TQR_ENVIRONMENT": environment, "identity_addresses": address, "application_addresses": address,
        "notification_addresses": address, "documents_addresses": address,
        "secret_key": "test-gateway-secret-0123456789abcdef", "TQR_REDIS_URL": "redis://127.0.0.1:6379/0",
        **(_production_only(pki) if environment == "production" else {}),
    })
    assert settings.environment == environment

    app = create_app(settings)  # the lifespan opens the channels inside the client's loop
    with TestClient(app, base_url="https://testserver") as client:
        # A fresh rate-limit namespace per test, so tests never share counters.
        app.state.rate_limiter = FixedWindowLimiter(app.state.redis, prefix=f"tqr-test:{uuid.uuid4().hex}:")
        outbox = FakeDevOutbox(fake)
        app.dependency_overrides[deps.identity_client] = _returning(fake)
        app.dependency_overrides[deps.dev_outbox_client] = _returning(outbox)
        # The session middleware is no route, so no dependency reaches it: it asks the started
        # app's identity client, which becomes the fake too.
        app.state.clients = replace(app.state.clients, identity=fake, dev_outbox=outbox)
        fake.forget_session = app.state.session_cache.forget
        yield client


def _returning(client: Any) -> Callable[[], Any]:
    async def dependency() -> Any:  # async: a plain def would run in a worker thread
        return client
    return dependency


def csrf(client: TestClient, path: str = "/help/faq") -> str:
    html = client.get(path).text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)
