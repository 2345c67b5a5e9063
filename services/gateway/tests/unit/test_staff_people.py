"""Staff administration pages (R-STAFF-5) against fakes of the staff clients: the console offers only the roles
an administrator can give, shows a setup code once, shows the service's refusals, and carries a
new staff member through the first sign-in with a QR code of the otpauth URI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tqr_gateway import vocabulary

from services.gateway.tests.unit.staff_fakes import DOCUMENT, ENROL_SECRET, SETUP_CODE, Console, console


@pytest.fixture(scope="module")
def pages() -> Iterator[Console]:
    with console() as running:
        yield running


def _role_options(html: str) -> list[str]:
    start = html.index('<select class="select" id="role"')
    return [code for code in ("AUTHORITY_ADMIN", "POINT_STAFF", "IDENTITY_REVIEWER", "SYSTEM_ADMIN")
            if f'<option value="{code}"' in html[start:html.index("</select>", start)]]


def test_r_staff_5_each_administrator_is_offered_only_the_roles_it_can_give(pages: Console) -> None:
    pages.sign_in("tok-sysadmin")
    system = pages.client.get("/staff/people")
    assert system.status_code == 200 and "point11010802" in system.text
    assert _role_options(system.text) == ["AUTHORITY_ADMIN", "IDENTITY_REVIEWER"]
    pages.sign_in("tok-admin")
    assert _role_options(pages.client.get("/staff/people").text) == ["AUTHORITY_ADMIN", "POINT_STAFF"]
    assert 'href="/staff/people"' in pages.client.get("/staff").text
    pages.sign_in("tok-point")
    assert pages.client.get("/staff/people").status_code == 403
    assert 'href="/staff/people"' not in pages.client.get("/staff").text
    pages.sign_in("tok-reviewer")
    assert pages.client.get("/staff/unlock").status_code == 403


def test_r_staff_5_a_new_account_shows_its_setup_code_once(pages: Console) -> None:
    pages.sign_in("tok-admin")
    pages.calls.clear()
    made = pages.post("/staff/people", {"username": "point11010803", "display-name": "海淀三号确认点",
                                        "role": "POINT_STAFF", "organisation-code": "11010803"})
    assert made.status_code == 200 and SETUP_CODE in made.text and "/staff/enrol" in made.text
    assert made.headers["cache-control"] == "no-store"
    (request, actor), = pages.calls.of("create_staff")
    assert (request.role, request.organisation_code) == ("POINT_STAFF", "11010803")
    assert (actor.role, actor.organisation_code) == (vocabulary.AUTHORITY_ADMIN, "110108")
    assert SETUP_CODE not in pages.client.get("/staff/people").text


def test_r_staff_5_the_services_refusal_is_shown_beside_the_form(pages: Console) -> None:
    pages.sign_in("tok-admin")
    refused = pages.post("/staff/people", {"username": "x", "display-name": "某人", "role": "POINT_STAFF",
                                           "organisation-code": "11010901"})
    assert refused.status_code == 422 and "您不能管理此账号或此机构的人员" in refused.text
    pages.calls.clear()
    missing = pages.post("/staff/people", {"username": "", "display-name": "", "role": "IDENTITY_REVIEWER"})
    assert missing.status_code == 422 and "请填写用户名" in missing.text and "请选择您可以授予的角色" in missing.text
    assert not pages.calls.of("create_staff")


def test_r_staff_5_resets_give_a_code_and_disabling_returns_to_the_account(pages: Console) -> None:
    pages.sign_in("tok-admin")
    pages.calls.clear()
    person = pages.client.get("/staff/people/staff-9")
    assert person.status_code == 200 and "海淀二号确认点" in person.text
    reset = pages.post("/staff/people/staff-9/reset-totp")
    assert reset.status_code == 200 and SETUP_CODE in reset.text
    disabled = pages.post("/staff/people/staff-9/disable")
    assert disabled.status_code == 303 and disabled.headers["location"] == "/staff/people/staff-9?done=disable"
    assert [(r.staff_id, r.active) for r, _ in pages.calls.of("set_staff_active")] == [("staff-9", False)]
    assert [(r.staff_id, r.what) for r, _ in pages.calls.of("reset_staff")] == [("staff-9", "totp")]


def test_r_staff_5_unlock_normalises_the_number_and_shows_an_unknown_one(pages: Console) -> None:
    pages.sign_in("tok-sysadmin")
    pages.calls.clear()
    typed = "１１０１０５１９４９１２３１００２ｘ"  # full width, as a phone keyboard may type it (R-WIZ-11)
    done = pages.post("/staff/unlock", {"document-type": "ID_CARD", "document-number": typed})
    assert done.status_code == 303 and done.headers["location"] == "/staff/unlock?done=1"
    (request, _), = pages.calls.of("unlock_applicant")
    assert request.document_number == DOCUMENT
    unknown = pages.post("/staff/unlock", {"document-type": "ID_CARD", "document-number": "110105194912310011"})
    assert unknown.status_code == 422 and "未找到使用该证件注册的账号" in unknown.text


def test_r_staff_5_first_sign_in_shows_a_qr_code_and_then_the_recovery_codes(pages: Console) -> None:
    pages.client.cookies.clear()
    wrong = pages.post("/staff/enrol", {"username": "new.admin", "setup_code": "WRONG"})
    assert wrong.status_code == 401 and "设置码有误" in wrong.text
    started = pages.post("/staff/enrol", {"username": "new.admin", "setup_code": SETUP_CODE})
    assert started.status_code == 200 and '<svg role="img"' in started.text and ENROL_SECRET in started.text
    retry = pages.post("/staff/enrol/finish", {"enrolment_token": "enrol-1", "totp_uri": "otpauth://totp/x?secret=A",
                                               "totp_secret": ENROL_SECRET, "password": "Staff#2026new",
                                               "password_confirm": "Staff#2026new", "totp_code": "000000"})
    assert retry.status_code == 422 and "验证码不正确" in retry.text and '<svg role="img"' in retry.text
    done = pages.post("/staff/enrol/finish", {"enrolment_token": "enrol-1", "totp_uri": "", "totp_secret": "",
                                              "password": "Staff#2026new", "password_confirm": "Staff#2026new",
                                              "totp_code": "123456"})
    assert done.status_code == 200 and "RCVR-CODE-0009-ABCD" in done.text
    assert "__Host-session" in done.headers.get("set-cookie", "")
    (request, _), = pages.calls.of("finish_staff_enrolment")[-1:]
    assert request.new_password == "Staff#2026new"
