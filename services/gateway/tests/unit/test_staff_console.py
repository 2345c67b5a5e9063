"""The staff console's pages against fakes of its clients: role gating, the search box, reasons, CSRF."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servicekit import errors
from tqr_gateway import vocabulary

from services.gateway.tests.unit.staff_fakes import APP_ID, APP_NUMBER, DOCUMENT, GOOD_CODE, Console, console


@pytest.fixture(scope="module")
def staff_console() -> Iterator[Console]:
    with console() as running:
        yield running


@pytest.fixture
def as_point(staff_console: Console) -> Console:
    staff_console.sign_in("tok-point")
    staff_console.calls.clear()
    return staff_console


@pytest.fixture
def as_admin(staff_console: Console) -> Console:
    staff_console.sign_in("tok-admin")
    staff_console.calls.clear()
    return staff_console


def test_signed_out_visitors_are_sent_to_the_staff_sign_in(staff_console: Console) -> None:
    staff_console.client.cookies.clear()
    answer = staff_console.client.get("/staff/plans", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/staff/login?next=/staff/plans")


@pytest.mark.parametrize(("token", "offered", "not_offered"), [
    ("tok-admin", ["/staff/plans", "/staff/applications?status=CONFIRMED", 'id="query"'], ["/staff/reviews"]),
    ("tok-point", ['id="query"', "/staff/points"], ["/staff/plans", "/staff/reviews"]),
    ("tok-reviewer", ["/staff/reviews", "/staff/support"], ['id="query"', "/staff/plans"]),
    ("tok-sysadmin", ["/staff/reference"], ['id="query"', "/staff/reviews"]),
])
def test_r_staff_4_home_offers_what_the_role_can_do(staff_console: Console, token: str, offered: list[str],
                                                    not_offered: list[str]) -> None:
    staff_console.sign_in(token)
    page = staff_console.client.get("/staff")
    assert page.status_code == 200
    for text in offered:
        assert text in page.text, text
    for text in not_offered:
        assert text not in page.text, text
    assert page.headers["cache-control"] == "no-store"


def test_r_staff_4_point_staff_cannot_open_the_plans_page(as_point: Console) -> None:
    page = as_point.client.get("/staff/plans")
    assert page.status_code == 403
    assert "text/html" in page.headers["content-type"]
    assert "不在您的权限范围内" in page.text
    assert not as_point.calls.of("list_plans")  # refused before any service was asked


def test_r_staff_4_reviewer_cannot_open_applications_and_admin_cannot_open_reviews(staff_console: Console) -> None:
    staff_console.sign_in("tok-reviewer")
    assert staff_console.client.get(f"/staff/applications/{APP_ID}").status_code == 403
    staff_console.sign_in("tok-admin")
    assert staff_console.client.get("/staff/reviews").status_code == 403
    assert staff_console.client.get("/staff/photos/photo-1").status_code == 403


@pytest.mark.parametrize("query", [APP_NUMBER, DOCUMENT])
def test_r_staff_2_a_number_or_document_number_opens_the_application(as_point: Console, query: str) -> None:
    answer = as_point.post("/staff/find", {"query": f"  {query} "})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/applications/{APP_ID}"
    (request, actor), = as_point.calls.of("find")
    assert request.query == query
    assert (actor.role, actor.organisation_code) == (vocabulary.POINT_STAFF, "11010801")
    assert not as_point.calls.of("verify_form_code")
    assert query not in answer.headers["location"]  # no personal data in the URL


def test_r_staff_2_a_scanned_form_code_is_verified_first_then_found_by_its_number(as_point: Console) -> None:
    answer = as_point.post("/staff/find", {"query": GOOD_CODE})
    assert answer.status_code == 303
    # The fake says the printout is older than the application's data: staff are told.
    assert answer.headers["location"] == f"/staff/applications/{APP_ID}?printout=stale"
    assert [r.code for r, _ in as_point.calls.of("verify_form_code")] == [GOOD_CODE]
    assert [r.query for r, _ in as_point.calls.of("find")] == [APP_NUMBER]
    page = as_point.client.get(answer.headers["location"])
    assert "重新下载打印" in page.text


def test_r_staff_2_an_altered_form_code_is_refused_and_never_searched(as_point: Console) -> None:
    altered = GOOD_CODE.replace("GOODMAC", "GOODMAD")
    answer = as_point.post("/staff/find", {"query": altered})
    assert answer.status_code == 422
    assert "二维码校验未通过" in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert not as_point.calls.of("find")


def test_r_staff_2_nothing_found_says_so_in_the_form(as_point: Console) -> None:
    answer = as_point.post("/staff/find", {"query": "2026000000009999"})
    assert answer.status_code == 422
    assert "没有找到这份申请" in answer.text


def test_r_staff_2_application_page_shows_findings_history_and_only_allowed_actions(as_point: Console) -> None:
    page = as_point.client.get(f"/staff/applications/{APP_ID}")
    assert page.status_code == 200
    assert "继续教育学时不足" in page.text  # eligibility finding
    assert "办理记录" in page.text and "申请人" in page.text  # history
    for action in ("CONFIRM_ON_SITE", "MARK_MATERIALS_INCOMPLETE"):
        assert f"/actions/{action}" in page.text
    for action in ("APPROVE_REGISTERED", "DEFER", "REJECT"):
        assert f"/actions/{action}" not in page.text


def test_r_app_2_adverse_results_need_a_reason_before_any_service_call(as_point: Console) -> None:
    answer = as_point.post(f"/staff/applications/{APP_ID}/actions/MARK_NOT_ELIGIBLE", {"reason": "  "})
    assert answer.status_code == 422
    assert "请填写原因" in answer.text
    assert not as_point.calls.of("act")


def test_r_app_2_materials_incomplete_lists_checked_and_typed_materials(as_point: Console) -> None:
    empty = as_point.post(f"/staff/applications/{APP_ID}/actions/MARK_MATERIALS_INCOMPLETE", {})
    assert empty.status_code == 422 and "缺少的材料" in empty.text
    answer = as_point.client.post(
        f"/staff/applications/{APP_ID}/actions/MARK_MATERIALS_INCOMPLETE", follow_redirects=False,
        data={"csrf_token": as_point.csrf(), "materials": ["CERTIFICATE", "ETHICS_ASSESSMENT"],
              "other_materials": "单位证明\n\n学历证书复印件", "expected_version": "3"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/applications/{APP_ID}?done=MARK_MATERIALS_INCOMPLETE"
    (request, actor), = as_point.calls.of("act")
    assert list(request.missing_materials) == ["教师资格证书原件", "师德考核结果证明", "单位证明", "学历证书复印件"]
    assert request.expected_version == 3 and actor.role == vocabulary.POINT_STAFF


def test_r_staff_2_point_staff_confirm_as_point_staff(as_point: Console) -> None:
    # The role decides the RPC (RecordOnSiteResult): test_staff_application_client.
    answer = as_point.post(f"/staff/applications/{APP_ID}/actions/CONFIRM_ON_SITE", {"expected_version": "3"})
    assert answer.status_code == 303
    assert [(r.action, r.role, r.expected_version) for r, _ in as_point.calls.of("act")] == [
        ("CONFIRM_ON_SITE", vocabulary.POINT_STAFF, 3)]


def test_r_staff_1_authority_admin_decides_as_authority_admin(as_admin: Console) -> None:
    # The role decides the RPC (DecideApplication): test_staff_application_client.
    answer = as_admin.post(f"/staff/applications/{APP_ID}/actions/DEFER", {"reason": "请补充继续教育证明"})
    assert answer.status_code == 303
    (request, actor), = as_admin.calls.of("act")
    assert (request.action, request.role, request.reason) == ("DEFER", vocabulary.AUTHORITY_ADMIN, "请补充继续教育证明")
    assert (actor.role, actor.organisation_code) == (vocabulary.AUTHORITY_ADMIN, "110108")


def test_r_staff_4_staff_of_another_authority_are_refused_by_the_service(staff_console: Console) -> None:
    staff_console.sign_in("tok-other-admin")
    page = staff_console.client.get(f"/staff/applications/{APP_ID}")
    assert page.status_code == 403 and "不属于您的单位" in page.text
    answer = staff_console.post(f"/staff/applications/{APP_ID}/actions/REJECT", {"reason": "不合格"})
    assert answer.status_code == 422 and "不属于您的单位" in answer.text


def test_actions_without_the_csrf_token_change_nothing(as_point: Console) -> None:
    answer = as_point.client.post(f"/staff/applications/{APP_ID}/actions/CONFIRM_ON_SITE",
                                  data={"expected_version": "3"}, follow_redirects=False)
    assert answer.status_code == 403
    assert not as_point.calls.of("act")
    api = as_point.client.post(f"/api/v1/staff/applications/{APP_ID}/actions", json={"action": "CONFIRM_ON_SITE"})
    assert api.status_code == 403
    assert not as_point.calls.of("act")


def test_r_app_4_message_to_the_applicant(as_point: Console) -> None:
    assert as_point.post(f"/staff/applications/{APP_ID}/message", {"body": ""}).status_code == 422
    answer = as_point.post(f"/staff/applications/{APP_ID}/message", {"body": "请于周五前来补交材料"})
    assert answer.status_code == 303
    assert [r.body for r, _ in as_point.calls.of("post_message")] == ["请于周五前来补交材料"]


def test_r_app_7_point_staff_correct_the_account_email_then_the_application_copy(as_point: Console) -> None:
    form = as_point.client.get(f"/staff/applications/{APP_ID}")
    assert f"/staff/applications/{APP_ID}/email" in form.text  # offered to point staff too
    assert "申请人账号的邮箱随之更改" in as_point.client.get(f"/staff/applications/{APP_ID}/email").text
    as_point.calls.clear()
    answer = as_point.post(f"/staff/applications/{APP_ID}/email",
                           {"email": "right@example.cn", "reason": "申请人到场核对，原邮箱填错"})
    assert answer.status_code == 303
    [(sent, actor)] = as_point.calls.of("correct_account_email")
    assert (sent.account_id, sent.email, sent.application_number, sent.organisation_name) == (
        "acc-1", "right@example.cn", APP_NUMBER, "海淀一号确认点")
    assert actor is not None and actor.role == vocabulary.POINT_STAFF  # identity checks the signed role
    assert [r.email for r, _ in as_point.calls.of("correct_email")] == ["right@example.cn"]
    order = [name for name, _, _ in as_point.calls.calls if name in ("get", "correct_account_email", "correct_email")]
    assert order == ["get", "correct_account_email", "correct_email"]  # scope first, the copy last


def test_r_app_7_bad_input_or_a_refusal_changes_nothing(as_admin: Console) -> None:
    bad = as_admin.post(f"/staff/applications/{APP_ID}/email", {"email": "nobody", "reason": ""})
    assert bad.status_code == 422 and "请填写更正原因" in bad.text and "请输入正确的电子邮箱" in bad.text
    assert as_admin.calls.of("correct_account_email") == [] and as_admin.calls.of("correct_email") == []
    as_admin.calls.fail["correct_account_email"] = errors.InvalidInput(
        [errors.FieldProblem("email", "R-APP-7", "邮箱格式不正确", "Not a valid email address")])
    try:
        refused = as_admin.post(f"/staff/applications/{APP_ID}/email", {"email": "a@b", "reason": "填错"})
    finally:
        as_admin.calls.fail.clear()
    assert refused.status_code == 422 and "邮箱格式不正确" in refused.text
    assert as_admin.calls.of("correct_email") == []  # the application's copy stays as the account's
