"""The account JSON API: problem documents with the rule id, cookies, CSRF and uploads."""

from __future__ import annotations

import pytest
from servicekit import errors

from services.gateway.tests.unit import account_fakes as fakes

pytestmark = pytest.mark.redis
COOKIE = "__Host-session"
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200
SIGN_IN = {"document_type": "ID_CARD", "document_number": "11010519800101002X", "pass_token": "pass-1"}


@pytest.fixture
def fake():
    return fakes.FakeIdentity()


@pytest.fixture
def client(fake):
    with fakes.gateway(fake) as client:
        yield client


def headers(client):
    return {"X-CSRF-Token": client.get("/api/v1/account/csrf-token").json()["csrf_token"]}


def test_r_id_8_a_failed_sign_in_is_a_problem_document_with_the_rule_id(client, fake):
    answer = client.post("/api/v1/account/sessions", json={**SIGN_IN, "password": "wrong"}, headers=headers(client))
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["code"] == "R-ID-8" and body["message_zh"] == "登录失败"
    assert COOKIE not in answer.headers.get("set-cookie", "")


def test_sign_in_returns_the_session_cookie_and_sign_out_ends_it(client, fake):
    answer = client.post("/api/v1/account/sessions", json={**SIGN_IN, "password": fakes.GOOD_PASSWORD},
                         headers=headers(client))
    assert answer.status_code == 201 and answer.json()["kind"] == "applicant"
    assert COOKIE in answer.headers["set-cookie"] and "HttpOnly" in answer.headers["set-cookie"]
    token = client.cookies.get(COOKIE)
    assert client.get("/api/v1/account/me").json()["name"] == "张老师"
    ended = client.delete("/api/v1/account/sessions/current", headers=headers(client))
    assert ended.status_code == 204 and token not in fake.sessions


def test_r_id_12_signed_out_callers_get_401(client):
    answer = client.get("/api/v1/account/me")
    assert answer.status_code == 401 and answer.json()["code"] == "UNAUTHENTICATED"


def test_field_problems_come_back_with_their_fields(client, fake):
    body = {"document_type": "ID_CARD", "document_number": "1", "name": "张", "password": "", "password_confirm": "",
            "email": "a@b.cn", "mobile": "13800000000", "sms_code": "", "agreement_version": "2026-01",
            "agreement_accepted": True}
    answer = client.post("/api/v1/account/registrations", json=body, headers=headers(client))
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"sms_code", "document_number"} <= fields


def test_r_id_5_human_checks_are_issued_and_answered(client):
    check = client.post("/api/v1/account/human-checks", json={"kind": "text"}, headers=headers(client)).json()
    assert check["question"] == "小明有七个苹果，又买了五个。小明现在总共有几个苹果？"
    answer = client.post(f"/api/v1/account/human-checks/{check['challenge_id']}/answer",
                         json={"kind": "text", "answer": fakes.TEXT_ANSWER}, headers=headers(client)).json()
    assert answer == {"passed": True, "pass_token": "pass-1"}


def test_r_id_6_a_throttled_code_request_says_when_to_retry(client, fake):
    fake.fail["request_registration_code"] = errors.TooManyRequests("R-ID-6", "请稍后再试", "Later", 45)
    answer = client.post("/api/v1/account/verification-codes", json={"pass_token": "p", "mobile": "13800000000"},
                         headers=headers(client))
    assert answer.status_code == 429 and answer.headers["retry-after"] == "45"
    assert answer.json()["code"] == "R-ID-6"


def test_api_writes_need_the_csrf_header(client, fake):
    answer = client.post("/api/v1/account/sessions", json={**SIGN_IN, "password": fakes.GOOD_PASSWORD})
    assert answer.status_code == 403 and fake.requests("sign_in") == []


def test_r_id_9_manual_review_by_multipart_checks_the_photo_type(client, fake):
    client.cookies.set(COOKIE, fake.sign_in_applicant("FAILED"))
    refused = client.post("/api/v1/account/manual-review", headers=headers(client),
                          files={"photo_front": ("a.txt", b"hello", "text/plain"), "photo_back": ("b.jpg", JPEG, "image/jpeg")})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "photo_front"
    done = client.post("/api/v1/account/manual-review", headers=headers(client), data={"note": "n"},
                       files={"photo_front": ("a.jpg", JPEG, "image/jpeg"), "photo_back": ("b.jpg", JPEG, "image/jpeg")})
    assert done.status_code == 201 and done.json()["due_date"] == "2026-12-09"


def test_r_id_9_a_pending_review_refusal_keeps_its_rule_id(client, fake):
    client.cookies.set(COOKIE, fake.sign_in_applicant("PENDING_REVIEW"))
    fake.fail["verify_real_name"] = errors.RuleViolation("R-ID-9", "人工审核进行中", "Review pending")
    answer = client.post("/api/v1/account/real-name", json={}, headers=headers(client))
    assert answer.status_code == 409 and answer.json()["code"] == "R-ID-9"


def test_r_id_10_profile_changes_send_only_the_given_fields(client, fake):
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    answer = client.patch("/api/v1/account/profile", json={"email": "new@example.cn"}, headers=headers(client))
    assert answer.status_code == 200
    sent = fake.requests("update_profile")[-1]
    assert "email" in sent and "ethnicity" not in sent


def test_the_openapi_document_lists_the_account_api(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/account/sessions", "/api/v1/account/registrations", "/api/v1/account/manual-review",
                 "/api/v1/account/support-requests", "/api/v1/account/password-resets"):
        assert path in paths
