"""Registration pages (R-ID-1..7) against a fake identity client (account_fakes)."""

from __future__ import annotations

import re

import pytest
from servicekit import errors
from tqr.identity.v1 import events_pb2
from tqr_gateway.clients.identity import channel_code

from services.gateway.tests.unit import account_fakes as fakes

NUMBER = "11010519800101002X"
MOBILE = "13800000000"
DETAILS = {"document_type": "ID_CARD", "document_number": NUMBER, "name": "张老师", "mobile": MOBILE,
           "email": "teacher@example.cn"}

pytestmark = pytest.mark.redis


@pytest.fixture
def fake():
    return fakes.FakeIdentity()


@pytest.fixture
def client(fake):
    with fakes.gateway(fake) as client:
        yield client


def post(client, path, data=None, files=None):
    token = fakes.csrf(client)
    return client.post(path, data={**(data or {}), "csrf_token": token}, files=files, follow_redirects=False)


def through_details(client):
    assert post(client, "/account/register", {"agree": "1"}).headers["location"] == "/account/register/details"
    response = post(client, "/account/register/details", DETAILS)
    assert response.headers["location"] == "/account/register/verify-mobile"


def through_code(client):
    through_details(client)
    response = post(client, "/account/register/verify-mobile",
                    {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": fakes.SLIDER_ANSWER, "channel": "SMS"})
    assert response.headers["location"] == "/account/register/finish"


def test_r_id_7_the_agreement_must_be_accepted_before_anything_else(client, fake):
    refused = post(client, "/account/register", {})
    assert refused.status_code == 422
    assert "请阅读并勾选同意用户协议" in refused.text
    assert client.get("/account/register/details", follow_redirects=False).headers["location"] == "/account/register"
    assert post(client, "/account/register", {"agree": "1"}).status_code == 303
    assert client.get("/account/register/details").status_code == 200


def test_r_id_7_the_agreement_version_is_sent_with_the_registration(client, fake):
    through_code(client)
    done = post(client, "/account/register/finish",
                {"sms_code": "123456", "password": fakes.GOOD_PASSWORD, "password_confirm": fakes.GOOD_PASSWORD})
    assert done.status_code == 303
    sent = fake.requests("register")[-1]
    assert sent.agreement_version == "2026-01" and sent.agreement_accepted
    assert (sent.document_number, sent.mobile, sent.sms_code) == (NUMBER, MOBILE, "123456")


def test_r_id_1_a_wrong_document_number_is_shown_beside_its_field(client, fake):
    post(client, "/account/register", {"agree": "1"})
    refused = post(client, "/account/register/details", {**DETAILS, "document_number": "12345"})
    assert refused.status_code == 422
    assert 'id="document_number-error"' in refused.text and "证件号码格式不正确" in refused.text
    assert 'href="#document_number"' in refused.text  # the summary links to the field
    assert "请输入密码" not in refused.text  # problems of later pages are not shown here
    assert refused.text.count('value="12345"') == 1  # what was typed is kept


def test_r_id_5_no_code_is_requested_without_a_solved_human_check(client, fake):
    through_details(client)
    refused = post(client, "/account/register/verify-mobile",
                   {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": "3", "channel": "SMS"})
    assert refused.status_code == 422
    assert "拼图块没有对准缺口" in refused.text
    assert fake.requests("request_registration_code") == []


def test_r_id_5_the_page_offers_a_text_question_for_people_who_cannot_drag(client, fake):
    through_details(client)
    page = client.get("/account/register/verify-mobile")
    assert "换一种验证方式" in page.text and 'type="range"' in page.text
    assert "slider.js" in page.text
    text_page = client.get("/account/register/verify-mobile?check=text")
    assert "小明有七个苹果，又买了五个。小明现在总共有几个苹果？" in text_page.text and 'type="range"' not in text_page.text
    sent = post(client, "/account/register/verify-mobile",
                {"hc_kind": "text", "hc_challenge": "text-1", "hc_answer": fakes.TEXT_ANSWER, "channel": "SMS"})
    assert sent.status_code == 303


def test_r_id_6_the_code_page_shows_where_it_went_and_when_to_resend(client, fake):
    through_code(client)
    request = fake.requests("request_registration_code")[-1]
    assert (request.mobile, request.pass_token) == (MOBILE, "pass-1")
    page = client.get("/account/register/finish")
    assert "验证码已发送至 138****0000" in page.text
    assert re.search(r'data-countdown="(5\d|60)"', page.text)
    assert "用其他方式获取验证码" in page.text and "/dev/outbox" in page.text


def test_r_id_6_the_alternative_channel_is_offered_when_sms_does_not_arrive(client, fake):
    through_code(client)
    page = client.get("/account/register/verify-mobile?channel=alternative")
    assert 'name="channel" value="ALTERNATIVE"' in page.text
    post(client, "/account/register/verify-mobile?channel=alternative",
         {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": fakes.SLIDER_ANSWER, "channel": "ALTERNATIVE"})
    assert channel_code(fake.requests("request_registration_code")[-1].channel) == events_pb2.CODE_CHANNEL_ALTERNATIVE


def test_r_id_6_a_refused_code_request_says_why(client, fake):
    through_details(client)
    fake.fail["request_registration_code"] = errors.TooManyRequests("R-ID-6", "请 60 秒后再获取", "Wait 60 s", 60)
    refused = post(client, "/account/register/verify-mobile",
                   {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": fakes.SLIDER_ANSWER, "channel": "SMS"})
    assert refused.status_code == 429 and "请 60 秒后再获取" in refused.text


def test_r_id_2_an_existing_account_points_to_password_reset(client, fake):
    through_code(client)
    fake.fail["register"] = errors.RuleViolation("R-ID-2", "该用户已注册。请重置密码。", "Already registered")
    refused = post(client, "/account/register/finish",
                   {"sms_code": "123456", "password": fakes.GOOD_PASSWORD, "password_confirm": fakes.GOOD_PASSWORD})
    assert refused.status_code == 409
    assert "该用户已注册" in refused.text and 'href="/account/password/forgot"' in refused.text


def test_r_id_3_a_refused_password_keeps_the_typed_code_and_says_it_is_still_valid(client, fake):
    through_code(client)
    fake.fail["register"] = errors.InvalidInput(
        [errors.FieldProblem("password", "R-ID-3", "密码需要包含特殊字符", "Needs a special character")])
    refused = post(client, "/account/register/finish",
                   {"sms_code": "123456", "password": "abcdefgh1", "password_confirm": "abcdefgh1"})
    assert refused.status_code == 422 and 'id="password-error"' in refused.text
    assert re.search(r'name="sms_code"[^>]*value="123456"|value="123456"[^>]*name="sms_code"', refused.text)
    assert "验证码仍然有效" in refused.text
    assert "abcdefgh1" not in refused.text  # never the password


def test_r_id_6_a_refused_code_is_not_kept(client, fake):
    through_code(client)
    fake.fail["register"] = errors.RuleViolation("R-ID-6", "验证码已失效，请重新获取", "No longer valid")
    refused = post(client, "/account/register/finish",
                   {"sms_code": "123456", "password": fakes.GOOD_PASSWORD, "password_confirm": fakes.GOOD_PASSWORD})
    assert refused.status_code == 422 and "验证码已失效，请重新获取" in refused.text
    assert 'value="123456"' not in refused.text and "验证码仍然有效" not in refused.text


def test_r_id_3_password_rules_are_shown_before_the_fields(client, fake):
    through_code(client)
    page = client.get("/account/register/finish").text
    assert page.index("密码要求") < page.index('name="password"')
    assert "#%*-_!@$&" in page


def test_a_finished_registration_leads_to_sign_in_then_real_name_verification(client, fake):
    through_code(client)
    done = post(client, "/account/register/finish",
                {"sms_code": "123456", "password": fakes.GOOD_PASSWORD, "password_confirm": fakes.GOOD_PASSWORD})
    assert done.headers["location"] == "/account/login?registered=1&next=/account/real-name"
    # the flow is over: its state is gone
    assert client.get("/account/register/finish", follow_redirects=False).headers["location"] == "/account/register"


def test_no_personal_data_ever_appears_in_a_url(client, fake):
    through_code(client)
    post(client, "/account/register/finish",
         {"sms_code": "123456", "password": fakes.GOOD_PASSWORD, "password_confirm": fakes.GOOD_PASSWORD})
    pages = [client.get(p).text for p in ("/account/register/details", "/account/login")]
    urls = [str(r.url) for r in client.get("/account/register", follow_redirects=True).history]
    urls += [u for page in pages for u in re.findall(r'(?:href|action)="([^"]+)"', page)]
    for url in urls:
        for secret in (NUMBER, MOBILE, "张老师", "teacher@example.cn"):
            assert secret not in url



def test_while_redis_is_away_a_registration_step_says_try_again_shortly_and_keeps_nothing(client, fake):
    """The flow's state lives in Redis: without it the step cannot go on, and the person is told to
    try again in a moment (503), not that something broke (500)."""
    from redis.asyncio import Redis

    working = client.app.state.redis
    client.app.state.redis = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        refused = post(client, "/account/register", {"agree": "1"})
    finally:
        client.app.state.redis = working
    assert refused.status_code == 503, refused.text
    assert "稍后再试" in refused.text and "Traceback" not in refused.text
    assert "tqr-flow-register" not in refused.headers.get("set-cookie", "")
    assert post(client, "/account/register", {"agree": "1"}).status_code == 303  # back once Redis is
