"""Trust boundaries through the real gateway app and the real identity service (R-ID-5, R-ID-14,
R-ID-15): the identity host runs in this process on a thread of its own (SQLite, the real Redis and
RabbitMQ), the gateway app in a TestClient whose identity channel reaches it. Answers that only the
server knows (the text question's answer, codes) are read where the server keeps them: Redis and
identity's outbox."""

from __future__ import annotations

import asyncio
import random
import re
import threading
import uuid
from collections.abc import Coroutine, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from servicekit import envelope, migrations
from sqlalchemy import select
from testkit.production import trust_fields
from tqr.identity.v1 import events_pb2
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings
from tqr_gateway.web.formatting import mask_personal
from tqr_identity.adapters import orm
from tqr_identity.bootstrap import build_host
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.gb11643 import make_valid_id_number

pytestmark = [pytest.mark.redis, pytest.mark.broker]

REDIS_URL = "redis://127.0.0.1:6379/0"
MIGRATIONS = Path(orm.__file__).resolve().parents[1] / "migrations"
PASSWORD = "Teach#2026ok"
SECRET = "test-gateway-secret-0123456789abcdef"
SESSION_COOKIE = "__Host-session"


class IdentityInThread:
    """The identity service's host on its own event loop, as a separate process would be."""

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.host: Any = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.host = build_host(self.settings)
        self.loop.run_until_complete(self.host.start())
        self._ready.set()
        self.loop.run_forever()

    def run(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(20)

    def __enter__(self) -> IdentityInThread:
        self._thread.start()
        assert self._ready.wait(30), "identity did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.run(self.host.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def events(self, message_type: type[Any]) -> list[Any]:
        """Events identity staged in its outbox, oldest first."""
        async def read() -> list[Any]:
            async with self.host.context.reading() as session:
                rows = (await session.execute(select(orm.outbox.c.envelope).order_by(orm.outbox.c.created_at)))
                found = [envelope.parse(raw) for raw in rows.scalars()]
            return [envelope.unpack(e, message_type) for e in found if e.type == message_type.DESCRIPTOR.full_name]
        return self.run(read())

    def last_code(self) -> str:
        return str(self.events(events_pb2.VerificationCodeRequested)[-1].code)


@pytest.fixture
def identity(tmp_path, amqp_url, queue_prefix, redis_prefix, request) -> Iterator[IdentityInThread]:
    url = f"sqlite:///{tmp_path / 'identity.sqlite3'}"
    migrations.upgrade(MIGRATIONS, url)
    overrides = getattr(request, "param", {})
    settings = IdentitySettings(
        database_url=url, amqp_url=amqp_url, queue_prefix=queue_prefix, redis_url=REDIS_URL,
        redis_key_prefix=redis_prefix.rstrip(":"), grpc_port=0, metrics_port=-1, drain_seconds=0,
        shutdown_grace_seconds=1, argon2_memory_kib=256, demo_accounts_file=str(tmp_path / "demo.txt"),
        **overrides)
    with IdentityInThread(settings) as running:
        yield running


def gateway_settings(identity_port: int, **values: Any) -> GatewaySettings:
    address = f"127.0.0.1:{identity_port}"
    return GatewaySettings.model_validate({
        "identity_addresses": address, "application_addresses": address, "notification_addresses": address,
        "documents_addresses": address, "secret_key": SECRET, "TQR_REDIS_URL": REDIS_URL,
        "redis_key_prefix": f"tqr-test:{uuid.uuid4().hex[:12]}:gateway", **values,
    })


@pytest.fixture
def client(identity) -> Iterator[TestClient]:
    with TestClient(create_app(gateway_settings(identity.host.port)), base_url="https://testserver") as client:
        yield client


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/account/csrf-token").json()["csrf_token"]}


def page_token(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def text_answer(identity: IdentityInThread, challenge_id: str) -> str:
    """The answer to a text question, from where only the server keeps it."""
    store = redis.Redis.from_url(REDIS_URL)
    try:
        return store.get(f"{identity.settings.redis_key_prefix}:text-challenge:{challenge_id}").decode()
    finally:
        store.close()


def human_pass(client: TestClient, identity: IdentityInThread) -> str:
    check = client.post("/api/v1/account/human-checks", json={"kind": "text"}, headers=csrf(client)).json()
    answered = client.post(f"/api/v1/account/human-checks/{check['challenge_id']}/answer",
                           json={"kind": "text", "answer": text_answer(identity, check["challenge_id"])},
                           headers=csrf(client)).json()
    assert answered["passed"]
    return str(answered["pass_token"])


def new_id_number() -> str:
    rng = random.Random(uuid.uuid4().int)
    return make_valid_id_number("110105", date(1970 + rng.randrange(30), 3, 9), rng.randrange(1000))


def new_mobile() -> str:
    return f"139{random.randrange(10**8):08d}"


def registration(number: str, mobile: str, code: str, email: str = "teacher@example.cn") -> dict[str, Any]:
    return {"document_type": "ID_CARD", "document_number": number, "name": "张老师", "password": PASSWORD,
            "password_confirm": PASSWORD, "email": email, "mobile": mobile, "sms_code": code,
            "agreement_version": "2026-01", "agreement_accepted": True}


def send_code(client: TestClient, identity: IdentityInThread, mobile: str) -> str:
    sent = client.post("/api/v1/account/verification-codes", headers=csrf(client),
                       json={"pass_token": human_pass(client, identity), "mobile": mobile})
    assert sent.status_code == 200, sent.text
    return identity.last_code()


def register(client: TestClient, identity: IdentityInThread, email: str = "teacher@example.cn"
             ) -> tuple[str, str]:
    """A new account through the API (signed in afterwards); (document number, mobile)."""
    number, mobile = new_id_number(), new_mobile()
    code = send_code(client, identity, mobile)
    made = client.post("/api/v1/account/registrations", json=registration(number, mobile, code, email),
                       headers=csrf(client))
    assert made.status_code == 201, made.text
    return number, mobile


def problem(answer: Any) -> tuple[int, str, str, str]:
    body = answer.json()
    return answer.status_code, body["code"], body["message_zh"], body["message_en"]


# --- R-ID-15 ------------------------------------------------------------------------------------


def test_r_id_15_registration_says_already_registered_only_once_the_mobile_is_proven(client, identity):
    registered, _ = register(client, identity)
    # A made-up code, as a script sends it: the same answer for a registered and a new document.
    answers = [problem(client.post("/api/v1/account/registrations", headers=csrf(client),
                                   json=registration(number, new_mobile(), "123456")))
               for number in (registered, new_id_number())]
    assert answers[0] == answers[1] and answers[0][1] == "R-ID-6"
    # The mobile's code proven (a human check, within the caps): told, and pointed to the reset (R-ID-2).
    mobile = new_mobile()
    told = client.post("/api/v1/account/registrations", headers=csrf(client),
                       json=registration(registered, mobile, send_code(client, identity, mobile)))
    assert told.status_code == 409 and told.json()["code"] == "R-ID-2"
    assert told.json()["message_zh"].startswith("该用户已注册") and "忘记密码" in told.json()["message_zh"]


def test_r_id_15_a_password_reset_answers_alike_for_known_and_unknown_numbers(client, identity):
    registered, _ = register(client, identity)
    unknown = new_id_number()
    requested = [client.post("/api/v1/account/password-resets", headers=csrf(client), json={
        "document_type": "ID_CARD", "document_number": number, "channel": "EMAIL",
        "pass_token": human_pass(client, identity)}) for number in (registered, unknown)]
    assert [r.status_code for r in requested] == [200, 200]
    assert requested[0].json() == requested[1].json() and requested[0].json()["destination_hint"] == ""
    confirmed = [problem(client.post("/api/v1/account/password-resets/confirm", headers=csrf(client), json={
        "document_type": "ID_CARD", "document_number": number, "channel": "EMAIL", "code": "000000",
        "password": "Fresh#2027ok", "password_confirm": "Fresh#2027ok"})) for number in (registered, unknown)]
    assert confirmed[0] == confirmed[1] and confirmed[0][:2] == (422, "R-ID-6")


def test_r_id_15_the_reset_page_shows_no_contact(client, identity):
    registered, _ = register(client, identity, email="only.mine@example.cn")
    client.cookies.clear()
    form = client.get("/account/password/forgot?check=text").text
    challenge = re.search(r'name="hc_challenge" value="([^"]+)"', form).group(1)
    sent = client.post("/account/password/forgot", follow_redirects=True, data={
        "csrf_token": page_token(form), "document_type": "ID_CARD", "document_number": registered,
        "channel": "EMAIL", "hc_kind": "text", "hc_challenge": challenge,
        "hc_answer": text_answer(identity, challenge)})
    assert sent.status_code == 200 and sent.url.path == "/account/password/reset"
    assert "如果该证件已在本网站注册，验证码已发送至注册时登记的电子邮箱" in sent.text
    assert "example.cn" not in sent.text and "on***" not in sent.text  # not even masked


# --- R-ID-5: the human check --------------------------------------------------------------------


@pytest.mark.parametrize("identity", [{"human_check_issues_per_client": 3}], indirect=True)
def test_r_id_5_human_checks_are_issued_within_a_per_client_limit(client, identity):
    for kind in ("slider", "text", "slider"):
        assert client.post("/api/v1/account/human-checks", json={"kind": kind}, headers=csrf(client)).status_code == 200
    refused = client.post("/api/v1/account/human-checks", json={"kind": "text"}, headers=csrf(client))
    assert refused.status_code == 429 and refused.json()["code"] == "R-ID-5"
    assert 0 < int(refused.headers["retry-after"]) <= 600
    page = client.get("/account/login")  # a sign-in page load asks for one too
    assert page.status_code == 429 and "安全验证获取过于频繁" in page.text


def test_r_id_5_the_text_question_is_a_sentence_with_no_sum_in_the_json(client, identity):
    check = client.post("/api/v1/account/human-checks", json={"kind": "text"}, headers=csrf(client)).json()
    question = check["question"]
    assert question.endswith("？") and not re.search(r"[0-9+\-=]|加|减|等于", question), question
    slider = client.post("/api/v1/account/human-checks", json={"kind": "slider"}, headers=csrf(client)).json()
    assert slider["background_media_type"] == "image/jpeg" and not slider["question"]


# --- R-ID-14: the email ----------------------------------------------------------------------------


def test_r_id_14_the_email_changes_with_the_password_and_a_code_and_the_old_address_is_told(client, identity):
    register(client, identity, email="old.address@example.cn")
    assert 'name="email"' not in client.get("/account/profile/edit").text
    refused = client.patch("/api/v1/account/profile", json={"email": "thief@example.cn"}, headers=csrf(client))
    assert refused.status_code in (409, 422) and refused.json()["code"] == "R-ID-14"
    assert client.get("/api/v1/account/me").json()["email"] == "old.address@example.cn"

    form = client.get("/account/email")
    assert form.status_code == 200 and "old.address@example.cn" in form.text
    wrong = client.post("/account/email", follow_redirects=False, data={
        "csrf_token": page_token(form.text), "new_email": "new.address@example.cn", "current_password": "Wrong#1x"})
    assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.text
    asked = client.post("/account/email", follow_redirects=False, data={
        "csrf_token": page_token(form.text), "new_email": "new.address@example.cn", "current_password": PASSWORD})
    assert asked.status_code == 303 and asked.headers["location"] == "/account/email/confirm"
    confirm = client.get("/account/email/confirm")
    assert "n***@example.cn" in confirm.text
    assert client.get("/api/v1/account/me").json()["email"] == "old.address@example.cn"  # not before the code
    done = client.post("/account/email/confirm", follow_redirects=False, data={
        "csrf_token": page_token(confirm.text), "code": identity.last_code()})
    assert done.status_code == 303 and done.headers["location"] == "/account/profile?saved=email"
    assert "new.address@example.cn" in client.get("/account/profile?saved=email").text
    [notice] = identity.events(events_pb2.EmailChanged)
    assert notice.masked_new_email == "n***@example.cn"


# --- R-WIZ-8: one masked form --------------------------------------------------------------------


def test_r_wiz_8_a_permit_shows_the_same_masked_form_on_the_pages_and_in_the_api(client, identity):
    """Identity masks the number it stores; the gateway shows it on the profile and real-name pages
    and in the API, and its own ``mask`` filter makes the same of the full number."""
    mobile = new_mobile()
    permit = f"{random.randrange(10**7, 10**8)}"  # a Taiwan permit's 8 digits
    answer = client.post("/api/v1/account/registrations", headers=csrf(client), json={
        **registration(permit, mobile, send_code(client, identity, mobile)), "document_type": "TW_PERMIT"})
    assert answer.status_code == 201, answer.text
    expected = f"{permit[0]}*****{permit[-2:]}"  # 3 of 8 characters kept; it showed half before
    assert answer.json()["masked_document_number"] == expected
    assert client.get("/api/v1/account/me").json()["masked_document_number"] == expected
    for page in ("/account/profile", "/account/real-name"):
        shown = client.get(page)
        assert shown.status_code == 200 and expected in shown.text and permit not in shown.text, page
    assert mask_personal(permit, "document") == expected


# --- production: no map, HSTS -------------------------------------------------------------------


def test_hsts_comes_with_the_secure_cookies(identity):
    for secure, expected in ((True, True), (False, False)):
        settings = gateway_settings(identity.host.port, secure_cookies=secure)
        with TestClient(create_app(settings), base_url="https://testserver") as client:
            header = client.get("/healthz").headers.get("strict-transport-security", "")
        assert ("max-age=31536000" in header) is expected


def test_api_docs_and_openapi_are_not_served_in_production_unless_turned_on(identity, tmp_path):
    def served(**values: Any) -> set[int]:
        with TestClient(create_app(gateway_settings(identity.host.port, **values)),
                        base_url="https://testserver") as c:
            return {c.get("/api/v1/docs").status_code, c.get("/api/v1/openapi.json").status_code}

    production = {"TQR_ENVIRONMENT": "production", **trust_fields("gateway", tmp_path)}
    assert served(**production) == {404}
    assert served(**production, api_docs=True) == {200}
    assert served(TQR_ENVIRONMENT="development") == served(TQR_ENVIRONMENT="test") == {200}
