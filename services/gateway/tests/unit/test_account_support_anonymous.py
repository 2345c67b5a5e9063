"""R-ID-11: the support request of a person who cannot sign in (page and API), against the fake
identity client (account_fakes)."""

from __future__ import annotations

import re

import pytest
from servicekit import errors

from services.gateway.tests.unit import account_fakes as fakes

pytestmark = pytest.mark.redis
COOKIE = "__Host-session"
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200
ACTION = "/account/support/without-sign-in"
PASSED_SLIDER = {"hc_kind": "slider", "hc_challenge": "slider-1", "hc_answer": fakes.SLIDER_ANSWER}
ASKED = {"document_type": "ID_CARD", "document_number": "11010519800101002X", "name": "张老师",
         "requested_mobile": "13900000000", "explanation": "旧手机号已停用"}
PHOTO = {"photo": ("id.jpg", JPEG, "image/jpeg")}


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


def test_r_id_11_not_signed_in_the_support_page_asks_for_the_document_a_photo_and_a_human_check(client):
    page = client.get("/account/support", follow_redirects=False)
    assert page.status_code == 200
    [form] = re.findall(r'<form method="post".*?</form>', page.text, re.S)
    assert f'action="{ACTION}"' in form and 'enctype="multipart/form-data"' in form
    for field in ("csrf_token", "document_type", "document_number", "name", "requested_mobile", "requested_email",
                  "photo", "hc_answer"):
        assert f'name="{field}"' in form
    assert 'name="kind"' not in form  # only contact changes without signing in
    text_version = client.get("/account/support?check=text").text  # the text alternative of the slider
    assert "小明有七个苹果，又买了五个。小明现在总共有几个苹果？" in text_version and 'name="hc_kind" value="text"' in text_version


def test_r_id_11_signed_in_the_support_page_is_the_account_form(client, fake):
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    page = client.get("/account/support").text
    assert 'action="/account/support"' in page and ACTION not in page


def test_r_id_11_the_forgot_password_and_sign_in_pages_lead_to_the_request(client):
    forgot = client.get("/account/password/forgot").text
    assert "手机号或邮箱已无法使用？" in forgot and 'href="/account/support"' in forgot
    login = client.get("/account/login").text
    assert re.search(r'<a href="/account/support">联系方式无法使用</a>', login)  # the name the FAQ uses


def test_r_id_11_without_sign_in_the_request_goes_to_the_service_and_the_receipt_is_shown(client, fake):
    done = post(client, ACTION, {**ASKED, "hc_kind": "text", "hc_challenge": "text-1",
                                 "hc_answer": fakes.TEXT_ANSWER}, files=PHOTO)
    assert done.status_code == 200
    [sent] = fake.requests("create_support_request_without_sign_in")
    assert (sent.document_type, sent.document_number, sent.name, sent.requested_mobile) == (
        "ID_CARD", "11010519800101002X", "张老师", "13900000000")
    assert sent.pass_token == "pass-1" and sent.client_id and sent.photos[0].content == JPEG
    assert "7 个工作日内（2026-12-10 前）" in done.text  # the working days and date the service answered
    assert "11010519800101002X" not in done.text


def test_r_id_11_without_sign_in_a_photo_and_the_human_check_are_needed_before_anything_is_sent(client, fake):
    refused = post(client, ACTION, {**ASKED, **PASSED_SLIDER, "hc_answer": "3"})
    assert refused.status_code == 422
    assert 'id="photo-error"' in refused.text and 'id="hc_answer-error"' in refused.text
    assert 'value="11010519800101002X"' in refused.text  # what was typed is kept
    assert fake.requests("create_support_request_without_sign_in") == []


def test_r_id_11_without_sign_in_refusals_appear_beside_the_fields(client, fake):
    fake.fail["create_support_request_without_sign_in"] = errors.InvalidInput([errors.FieldProblem(
        "requested_mobile", "R-ID-11", "手机号码格式不正确", "The mobile number is not valid")], code="R-ID-11")
    refused = post(client, ACTION, {**ASKED, **PASSED_SLIDER}, files=PHOTO)
    assert refused.status_code == 422
    assert re.search(r'id="requested_mobile-error".*?手机号码格式不正确', refused.text, re.S)
    fake.fail["create_support_request_without_sign_in"] = errors.TooManyRequests(
        "R-ID-11", "今天提交的申请次数已达上限，请明天再试", "Try again tomorrow", 3600)
    capped = post(client, ACTION, {**ASKED, **PASSED_SLIDER}, files=PHOTO)
    assert capped.status_code == 429 and "今天提交的申请次数已达上限" in capped.text


def api_headers(client):
    return {"X-CSRF-Token": client.get("/api/v1/account/csrf-token").json()["csrf_token"]}


def test_r_id_11_the_api_takes_the_request_without_sign_in_as_multipart(client, fake):
    path = "/api/v1/account/support-requests/anonymous"
    answer = client.post(path, data={**ASKED, "pass_token": "pass-9"}, files=PHOTO, headers=api_headers(client))
    assert answer.status_code == 202
    body = answer.json()
    assert (body["received"], body["working_days"], body["answer_by"]) == (True, 7, "2026-12-10")
    assert fake.requests("create_support_request_without_sign_in")[-1].pass_token == "pass-9"
    fake.fail["create_support_request_without_sign_in"] = errors.RuleViolation("R-ID-5", "请先完成安全验证",
                                                                          "Complete the security check first")
    refused = client.post(path, data={**ASKED, "pass_token": "x"}, files=PHOTO, headers=api_headers(client))
    assert refused.status_code == 409 and refused.json()["code"] == "R-ID-5"  # a rule refusal
    not_a_photo = client.post(path, data={**ASKED, "pass_token": "x"}, files={"photo": ("a.txt", b"hello", "text/plain")},
                              headers=api_headers(client))
    assert not_a_photo.status_code == 422 and not_a_photo.json()["code"] == "PHOTO_INVALID"
    assert path in client.get("/api/v1/openapi.json").json()["paths"]
