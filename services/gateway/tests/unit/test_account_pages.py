"""Sign-in, passwords, real-name verification, profile, support, staff sign-in and the dev outbox
pages, against a fake identity client (account_fakes)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from servicekit import errors
from tqr.common.v1.vocabulary_pb2 import DOCUMENT_TYPE_HKMO_PERMIT
from tqr.identity.v1 import events_pb2, identity_pb2
from tqr.notification.v1 import notification_pb2
from tqr_gateway.clients.identity import channel_code

from services.gateway.tests.unit import account_fakes as fakes

pytestmark = pytest.mark.redis
PASSED_SLIDER = {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": fakes.SLIDER_ANSWER}
LOGIN = {"document_type": "ID_CARD", "document_number": "11010519800101002X", **PASSED_SLIDER}
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200
COOKIE = "__Host-session"


@pytest.fixture
def fake():
    return fakes.FakeIdentity()


@pytest.fixture
def client(fake):
    with fakes.gateway(fake) as client:
        yield client


@pytest.fixture
def signed_in(client, fake):
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    return client


def post(client, path, data=None, files=None):
    token = fakes.csrf(client)
    return client.post(path, data={**(data or {}), "csrf_token": token}, files=files, follow_redirects=False)


def test_r_id_8_a_failed_sign_in_says_only_login_failed_with_the_possible_causes(client, fake):
    refused = post(client, "/account/login", {**LOGIN, "password": "wrong"})
    assert refused.status_code == 401
    assert "登录失败" in refused.text and "可能的原因" in refused.text
    assert "旧系统" in refused.text and "忘记密码" in refused.text
    assert COOKIE not in refused.headers.get("set-cookie", "")


def test_r_id_8_sign_in_needs_the_human_check(client, fake):
    refused = post(client, "/account/login", {**LOGIN, "hc_answer": "1", "password": fakes.GOOD_PASSWORD})
    assert refused.status_code == 422
    assert fake.requests("sign_in") == []


def test_r_id_8_a_throttled_sign_in_says_when_to_try_again(client, fake):
    fake.fail["sign_in"] = errors.TooManyRequests("R-ID-8", "尝试次数过多", "Too many attempts", 600)
    refused = post(client, "/account/login", {**LOGIN, "password": fakes.GOOD_PASSWORD})
    assert refused.status_code == 429
    assert "10 分钟后再试" in refused.text


def test_sign_in_sets_a_new_session_cookie_and_ends_the_old_one(client, fake):
    old = fake.sign_in_applicant()
    client.cookies.set(COOKIE, old)
    done = post(client, "/account/login", {**LOGIN, "password": fakes.GOOD_PASSWORD, "next": "/account/profile"})
    assert done.status_code == 303 and done.headers["location"] == "/account/profile"
    new = re.search(rf"{COOKIE}=([^;]+)", done.headers["set-cookie"]).group(1)
    assert new != old and new in fake.sessions
    assert [r.session_token for r in fake.requests("sign_out")] == [old]


def test_sign_in_never_redirects_away_from_the_site(client, fake):
    done = post(client, "/account/login", {**LOGIN, "password": fakes.GOOD_PASSWORD, "next": "//evil.example/"})
    assert done.headers["location"] == "/account"


def test_r_id_12_sign_out_ends_the_session_on_the_server(signed_in, fake):
    token = signed_in.cookies.get(COOKIE)
    done = post(signed_in, "/account/logout")
    assert done.headers["location"] == "/account/signed-out"
    assert token not in fake.sessions
    assert f'{COOKIE}=""' in done.headers["set-cookie"] or "Max-Age=0" in done.headers["set-cookie"]


def test_pages_that_need_an_account_send_people_to_sign_in(client):
    response = client.get("/account/profile", follow_redirects=False)
    assert response.headers["location"] == "/account/login?next=/account/profile"


@pytest.mark.parametrize("path", ["/account/register", "/account/login", "/account/password/forgot", "/staff/login",
                                  "/account", "/account/profile/edit", "/account/real-name", "/account/password",
                                  "/account/real-name/manual-review", "/account/support"])
def test_every_account_form_carries_the_csrf_token(signed_in, path):
    page = signed_in.get(path).text
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert forms
    for form in forms:
        assert 'name="csrf_token"' in form


def test_a_post_without_the_csrf_token_changes_nothing(signed_in, fake):
    refused = signed_in.post("/account/password", data={"current_password": "x", "password": "y"},
                             follow_redirects=False)
    assert refused.status_code == 403
    assert fake.requests("change_password") == []


def test_r_id_12_changing_the_password_ends_the_other_sessions_and_says_so(signed_in, fake):
    assert "其他设备和浏览器上的登录将全部退出" in signed_in.get("/account/password").text
    done = post(signed_in, "/account/password", {"current_password": "Old#2020pw", "password": fakes.GOOD_PASSWORD,
                                                 "password_confirm": fakes.GOOD_PASSWORD})
    assert done.status_code == 200 and "2 个登录已退出" in done.text
    assert fake.requests("change_password")[-1].session_token == signed_in.cookies.get(COOKIE)


def test_r_id_3_a_refused_new_password_is_shown_beside_the_field(signed_in, fake):
    fake.fail["change_password"] = errors.InvalidInput(
        [errors.FieldProblem("password", "R-ID-3", "密码需要包含特殊字符", "Needs a special character")])
    refused = post(signed_in, "/account/password", {"current_password": "a", "password": "b", "password_confirm": "b"})
    assert refused.status_code == 422 and 'id="password-error"' in refused.text


def test_r_id_11_reset_sends_a_code_to_the_chosen_channel_then_sets_the_password(client, fake):
    sent = post(client, "/account/password/forgot", {**LOGIN, "channel": "EMAIL"})
    assert sent.headers["location"] == "/account/password/reset"
    assert channel_code(fake.requests("request_password_reset")[-1].channel) == events_pb2.CODE_CHANNEL_EMAIL
    page = client.get("/account/password/reset").text
    # R-ID-15: said alike for any document, naming no contact.
    assert "如果该证件已在本网站注册，验证码已发送至注册时登记的电子邮箱" in page and "example.cn" not in page
    done = post(client, "/account/password/reset", {"code": "123456", "password": fakes.GOOD_PASSWORD,
                                                     "password_confirm": fakes.GOOD_PASSWORD})
    assert done.status_code == 200 and "已退出该账号原有的 3 个登录" in done.text and "请用新密码登录" in done.text
    reset = fake.requests("reset_password")[-1]
    assert (reset.code, reset.document_number, channel_code(reset.channel)) == (
        "123456", LOGIN["document_number"], events_pb2.CODE_CHANNEL_EMAIL)


def test_r_id_11_a_reset_that_ended_no_session_says_nothing_about_sessions_and_never_none(client, fake):
    fake.sessions_ended = 0
    post(client, "/account/password/forgot", {**LOGIN, "channel": "EMAIL"})
    client.get("/account/password/reset")
    done = post(client, "/account/password/reset", {"code": "123456", "password": fakes.GOOD_PASSWORD,
                                                     "password_confirm": fakes.GOOD_PASSWORD})
    main = done.text.split("<main", 1)[1]
    assert done.status_code == 200 and "密码已更新" in main and "请用新密码登录" in main
    assert "None" not in main and "个登录" not in main


def test_r_id_11_a_malformed_document_number_is_said_beside_the_number(client, fake):
    fake.fail["request_password_reset"] = errors.InvalidInput(
        [errors.FieldProblem("document_number", "R-ID-1", "证件号码格式不正确", "The document number is not valid")])
    refused = post(client, "/account/password/forgot", {**LOGIN, "channel": "SMS"})
    assert refused.status_code == 422 and 'id="document_number-error"' in refused.text


def test_r_id_9_success_shows_the_congratulation(signed_in, fake):
    done = post(signed_in, "/account/real-name/verify", {"corrected_name": ""})
    assert "恭喜您，已通过实名核验" in done.text


def test_r_id_9_failure_offers_both_remedies_and_r_id_10_the_corrected_name_is_sent(signed_in, fake):
    fake.verify_outcome = identity_pb2.VerifyRealNameResponse(verified=False, real_name_status="FAILED",
                                                              message_zh="证件号码与姓名不一致")
    failed = post(signed_in, "/account/real-name/verify", {"corrected_name": "王小明"})
    assert "证件号码与姓名不一致" in failed.text
    assert "网证" in failed.text and 'href="/account/real-name/manual-review"' in failed.text
    assert fake.requests("verify_real_name")[-1].corrected_name == "王小明"


def test_r_id_9_while_a_review_is_pending_there_is_no_verify_button(signed_in, fake):
    fake.account = fakes.account_view(real_name_status="PENDING_REVIEW", pending_review_due_date="2026-12-09")
    page = signed_in.get("/account/real-name").text
    assert "2026-12-09" in page and "不能修改已提交的信息" in page
    assert "/account/real-name/verify" not in page


def test_r_id_9_manual_review_checks_the_photos_and_shows_the_expected_date(signed_in, fake):
    refused = post(signed_in, "/account/real-name/manual-review", {},
                   files={"photo_front": ("a.gif", b"GIF89a....", "image/gif"),
                          "photo_back": ("b.jpg", JPEG, "image/jpeg")})
    assert refused.status_code == 422 and "JPG 或 PNG" in refused.text
    assert fake.requests("request_manual_review") == []
    done = post(signed_in, "/account/real-name/manual-review", {"note": "生僻字"},
                files={"photo_front": ("我的证件.jpg", JPEG, "image/jpeg"), "photo_back": ("b.jpg", JPEG, "image/jpeg")})
    assert done.status_code == 200 and "2026-12-09" in done.text
    sent = fake.requests("request_manual_review")[-1]
    assert [p.file_name for p in sent.photos] == ["photo_front.jpg", "photo_back.jpg"]
    assert sent.photos[0].content == JPEG


def test_r_id_10_mainland_id_holders_cannot_edit_gender_and_the_name_is_not_editable(signed_in, fake):
    page = signed_in.get("/account/profile/edit").text
    assert 'name="gender"' not in page and 'name="name"' not in page
    assert "/account/support?kind=CORRECT_GENDER" in page
    done = post(signed_in, "/account/profile/edit", {"ethnicity": "汉族", "email": "new@example.cn",
                                                      "document_valid_from": "2020-01-01", "long_term": "1",
                                                      "gender": "MALE"})
    assert done.headers["location"] == "/account/profile?saved=1"
    sent = fake.requests("update_profile")[-1]
    assert sent["document_valid_until"] == "LONG_TERM" and sent["ethnicity"] == "汉族"
    assert "gender" not in sent


def test_r_id_10_hong_kong_macao_taiwan_holders_supply_gender_and_birth_date(signed_in, fake):
    fake.account = fakes.account_view(document_type=DOCUMENT_TYPE_HKMO_PERMIT, may_edit_gender_and_birth_date=True)
    assert 'name="gender"' in signed_in.get("/account/profile/edit").text
    post(signed_in, "/account/profile/edit", {"ethnicity": "汉族", "gender": "MALE", "birth_date": "1980-02-03"})
    sent = fake.requests("update_profile")[-1]
    assert (sent["gender"], sent["birth_date"]) == ("MALE", "1980-02-03")


def test_r_id_11_a_support_request_needs_a_photo_of_the_document(signed_in, fake):
    refused = post(signed_in, "/account/support", {"kind": "CHANGE_CONTACT", "requested_mobile": "13900000000"})
    assert refused.status_code == 422 and 'id="photo-error"' in refused.text
    done = post(signed_in, "/account/support", {"kind": "CHANGE_CONTACT", "requested_mobile": "13900000000"},
                files={"photo": ("id.jpg", JPEG, "image/jpeg")})
    assert done.status_code == 200
    assert fake.requests("create_support_request")[-1].requested_mobile == "13900000000"


def header_of(html):
    return html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]


def test_a_signed_in_applicant_finds_their_applications_and_account_from_every_page(signed_in, fake):
    for path in ("/", "/help/faq", "/account"):  # /account passes its own `account` to the template
        header = header_of(signed_in.get(path).text)
        assert 'href="/portal"' in header and ">我的申请</a>" in header, path
        assert 'href="/account"' in header and ">我的账号</a>" in header, path
        assert "张老师" in header and ">登录</a>" not in header, path


def test_the_home_page_offers_my_applications_not_register_or_sign_in_when_signed_in(client, fake):
    anonymous = client.get("/").text.split("<main", 1)[1]
    assert 'href="/account/register"' in anonymous and 'href="/account/login"' in anonymous
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    main = client.get("/").text.split("<main", 1)[1]
    assert 'href="/account/register"' not in main and "button__arrow" in main
    assert 'href="/account/login"' not in main
    assert 'href="/portal"' in main and "我的申请" in main
    client.cookies.set("lang", "en")
    english = client.get("/").text.split("<main", 1)[1]
    assert "My applications" in english and 'href="/account/register"' not in english


def test_the_account_home_says_what_to_do_next(signed_in, fake):
    assert 'href="/account/real-name"' in signed_in.get("/account").text
    fake.account = fakes.account_view(real_name_status="VERIFIED")
    page = signed_in.get("/account").text
    assert 'href="/apply"' in page and 'href="/portal"' in page


def test_staff_sign_in_needs_the_one_time_code_and_leads_to_the_console(client, fake):
    refused = post(client, "/staff/login", {"username": "reviewer", "password": "x", "totp_code": "000000"})
    assert refused.status_code == 401 and "登录失败" in refused.text
    done = post(client, "/staff/login", {"username": "reviewer", "password": "x", "totp_code": "123456"})
    assert done.headers["location"] == "/staff" and COOKIE in done.headers["set-cookie"]


def test_the_dev_outbox_lists_messages_newest_first_with_codes(fake):
    # Notification reads its outbox and finds the codes (its own tests); the page shows its answer.
    def sms(code: str, hour: int, channel: str = "sms") -> notification_pb2.OutboxMessage:
        message = notification_pb2.OutboxMessage(
            kind=notification_pb2.OUTBOX_MESSAGE_KIND_SMS, channel=channel, recipients=["13800000000"],
            text=f"您正在注册，验证码{code}，5分钟内有效", code=code)
        message.received_at.FromDatetime(datetime(2026, 11, 29, hour, tzinfo=UTC))
        return message

    email = notification_pb2.OutboxMessage(kind=notification_pb2.OUTBOX_MESSAGE_KIND_EMAIL, subject="注册验证码",
                                           recipients=["a@example.cn", "b@example.cn"], text="验证码为：305511",
                                           code="305511")
    fake.outbox = [sms("777001", 9, channel="alternative"), sms("482913", 8), email]
    with fakes.gateway(fake) as client:
        page = client.get("/dev/outbox").text
    codes = re.findall(r"data-outbox-code>(\d+)<", page)
    assert codes == ["777001", "482913", "305511"]
    assert re.findall(r'data-outbox-kind="(\w+)"', page) == ["sms", "sms", "email"]
    assert "(alternative)" in page and "注册验证码" in page and "a@example.cn, b@example.cn" in page
    assert '<time datetime="2026-11-29T09:00:00+00:00">' in page
    assert [r.limit for r in fake.requests("list_outbox_messages")] == [50]


@pytest.mark.parametrize("environment", ["production", "test"])
def test_the_dev_outbox_does_not_exist_outside_development(fake, environment):
    with fakes.gateway(fake, environment=environment) as client:
        assert client.get("/dev/outbox").status_code == 404


def test_a_production_gateway_under_test_leaves_no_key_behind(fake, tmp_path, monkeypatch):
    # Its certificate and the CA's private key were made in a folder that stayed in /tmp.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with fakes.gateway(fake, environment="production") as client:
        assert client.get("/help/faq").status_code == 200
        assert [f.name for f in tmp_path.iterdir()] and any(tmp_path.rglob("ca.key"))
    assert list(tmp_path.iterdir()) == []


def test_while_the_identity_service_is_down_a_signed_in_person_is_not_signed_out(signed_in, fake):
    fake.identity_down = True
    page = signed_in.get("/account", follow_redirects=False)
    assert page.status_code == 503 and "/account/login" not in page.headers.get("location", "")
    assert "稍后再试" in page.text
    assert signed_in.get("/help/faq").status_code == 200  # public pages still work
    fake.identity_down = False
    assert signed_in.get("/account").status_code == 200
