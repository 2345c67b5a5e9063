"""R-STAFF-6 in the staff console and its JSON API, against fakes of the clients: tick boxes and "all
matching the filter" on the list, the fields the served workflow rules need, the confirmation with the
count, each item's result, a resubmitted confirmation deciding nothing twice, and claims."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import status_pb2
from tqr_gateway import vocabulary
from tqr_gateway.web.language import LANG_COOKIE

from services.gateway.tests.unit.staff_fakes import APP_ID, CLAIMED_APP_ID, Console, console


@pytest.fixture(scope="module")
def staff_console() -> Iterator[Console]:
    with console() as running:
        yield running


@pytest.fixture
def as_admin(staff_console: Console) -> Console:
    staff_console.sign_in("tok-admin")
    staff_console.calls.clear()
    return staff_console


def hidden(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)


def test_r_staff_6_the_list_has_tick_boxes_claims_and_the_roles_bulk_actions(staff_console: Console) -> None:
    staff_console.sign_in("tok-admin")
    page = staff_console.client.get("/staff/applications?status=CONFIRMED")
    assert page.status_code == 200
    assert page.text.count('form="bulk-form" name="ids"') == 2
    assert "选择 2026110108000001" in page.text  # each tick box is labelled with its number
    assert "由 张老师 处理中（至 10:30）" in page.text  # the claim on app-0, in Beijing time
    (claims,) = [r for r, _ in staff_console.calls.of("claims")][-1:]
    assert claims.application_ids == ["app-0", "app-1"]
    bulk = page.text[page.text.index('id="bulk-form"'):]
    assert 'value="APPROVE_REGISTERED"' in bulk and 'value="DEFER"' in bulk
    assert 'value="CONFIRM_ON_SITE"' not in bulk  # the served rules give it to point staff only
    assert hidden(bulk, "status")[0] == "CONFIRMED"
    staff_console.sign_in("tok-point")
    bulk = staff_console.client.get("/staff/applications").text
    assert 'value="CONFIRM_ON_SITE"' in bulk and 'value="APPROVE_REGISTERED"' not in bulk[bulk.index('id="bulk-form"'):]


def test_r_staff_6_ticked_applications_reason_confirmation_and_each_result(as_admin: Console) -> None:
    chosen = as_admin.post("/staff/applications/bulk", {"ids": [APP_ID, CLAIMED_APP_ID], "action": "DEFER",
                                                          "scope": "selected", "status": "CONFIRMED"})
    assert chosen.status_code == 200
    assert "批量办理：暂缓注册" in chosen.text and "您选择了 2 份申请" in chosen.text
    assert hidden(chosen.text, "ids") == [APP_ID, CLAIMED_APP_ID]
    assert 'name="reason"' in chosen.text and "说明（可选）" not in chosen.text  # DEFER needs a reason

    form = {"ids": [APP_ID, CLAIMED_APP_ID], "action": "DEFER", "status": "CONFIRMED"}
    refused = as_admin.post("/staff/applications/bulk/confirm", {**form, "reason": "  "})
    assert refused.status_code == 422 and "请填写原因" in refused.text and 'href="#reason"' in refused.text

    confirm = as_admin.post("/staff/applications/bulk/confirm", {**form, "reason": "继续教育学时不足"})
    assert confirm.status_code == 200
    assert "确认对 2 份申请办理“暂缓注册”" in confirm.text and "继续教育学时不足" in confirm.text
    (key,) = hidden(confirm.text, "key")
    assert not as_admin.calls.of("bulk_decide")  # nothing decided before the confirmation

    run = {**form, "reason": "继续教育学时不足", "key": key}
    result = as_admin.post("/staff/applications/bulk/run", run)
    assert result.status_code == 200
    assert "办理成功 1 份，未办理 1 份" in result.text
    rows = result.text[result.text.index('id="bulk-results"'):]
    assert "成功" in rows and "未办理" in rows and "由 张老师 处理中" in rows
    assert "没有重复办理" not in result.text
    ((request, actor),) = as_admin.calls.of("bulk_decide")
    assert (request.action, request.application_ids, request.reason, request.idempotency_key) == (
        "DEFER", [APP_ID, CLAIMED_APP_ID], "继续教育学时不足", key)
    assert actor is not None and actor.role == vocabulary.AUTHORITY_ADMIN

    again = as_admin.post("/staff/applications/bulk/run", run)  # a resubmitted confirmation
    assert again.status_code == 200 and "这是同一请求已保存的结果，没有重复办理任何申请" in again.text
    assert "办理成功 1 份，未办理 1 份" in again.text


def test_r_staff_6_all_matching_the_filter_asks_the_service_for_the_selection(as_admin: Console) -> None:
    chosen = as_admin.post("/staff/applications/bulk", {"action": "APPROVE_REGISTERED", "scope": "filter",
                                                          "status": "CONFIRMED", "number": "２０２６ １１０１",
                                                          "conflicts": "1", "other_plan": "1"})
    assert chosen.status_code == 200 and "您选择了 1 份申请" in chosen.text
    ((request, _),) = as_admin.calls.of("resolve_selection")
    assert request.where.status == "CONFIRMED" and request.where.certificate_conflicts_only
    assert request.where.other_plan_only  # R-STAFF-8's filter selects what the list showed
    assert request.where.application_number == "20261101"  # typed any way (R-WIZ-11)
    assert hidden(chosen.text, "ids") == ["app-0"] and "2026110108000000" in chosen.text
    assert "说明（可选）" in chosen.text  # approving needs no reason


def test_r_staff_6_nothing_ticked_or_no_action_is_said_on_the_list(as_admin: Console) -> None:
    nothing = as_admin.post("/staff/applications/bulk", {"action": "APPROVE_REGISTERED", "scope": "selected"})
    assert nothing.status_code == 422 and "请勾选至少一份申请" in nothing.text and 'href="#select-all"' in nothing.text
    no_action = as_admin.post("/staff/applications/bulk", {"ids": ["app-0"], "action": "CONFIRM_ON_SITE",
                                                           "scope": "selected"})
    assert no_action.status_code == 422 and "请选择要办理的操作" in no_action.text
    assert 'href="#bulk-action"' in no_action.text and 'id="bulk-action"' in no_action.text
    assert not as_admin.calls.of("bulk_decide") and not as_admin.calls.of("resolve_selection")


def test_r_staff_6_materials_incomplete_in_bulk_lists_the_served_checklist(staff_console: Console) -> None:
    staff_console.sign_in("tok-point")
    staff_console.calls.clear()
    chosen = staff_console.post("/staff/applications/bulk", {"ids": ["app-0"], "action": "MARK_MATERIALS_INCOMPLETE",
                                                             "scope": "selected"})
    assert chosen.status_code == 200 and 'name="materials"' in chosen.text
    code = re.search(r'name="materials" value="([^"]+)"', chosen.text)
    assert code is not None
    confirm = staff_console.post("/staff/applications/bulk/confirm", {
        "ids": ["app-0"], "action": "MARK_MATERIALS_INCOMPLETE", "materials": [code.group(1)],
        "other_materials": "单位证明"})
    assert confirm.status_code == 200
    missing = hidden(confirm.text, "missing")
    assert missing[-1] == "单位证明" and len(missing) == 2
    staff_console.post("/staff/applications/bulk/run", {"ids": ["app-0"], "action": "MARK_MATERIALS_INCOMPLETE",
                                                        "missing": missing, "key": hidden(confirm.text, "key")[0]})
    ((request, _),) = staff_console.calls.of("bulk_decide")
    assert request.missing_materials == missing


def test_r_staff_6_materials_incomplete_in_bulk_offers_the_authoritys_own_checklist(staff_console: Console) -> None:
    """Issue 19 item 19: an authority that keeps its own checklist sees it in bulk as on one case."""
    staff_console.sign_in("tok-point")
    staff_console.calls.clear()
    staff_console.calls.checklist = [ref_pb.MaterialItem(code="own-1", name_zh="本区学时证明", name_en="District hours")]
    try:
        chosen = staff_console.post("/staff/applications/bulk", {
            "ids": ["app-0"], "action": "MARK_MATERIALS_INCOMPLETE", "scope": "selected"})
        assert re.findall(r'name="materials" value="([^"]+)"', chosen.text) == ["own-1"]
        confirm = staff_console.post("/staff/applications/bulk/confirm", {
            "ids": ["app-0"], "action": "MARK_MATERIALS_INCOMPLETE", "materials": ["own-1"]})
        assert hidden(confirm.text, "missing") == ["本区学时证明"]
    finally:
        staff_console.calls.checklist = []


def test_r_staff_6_the_application_page_claims_and_shows_who_holds_it(as_admin: Console) -> None:
    page = as_admin.client.get(f"/staff/applications/{APP_ID}?done=CLAIMED")
    assert "认领，由我处理" in page.text and "已认领" in page.text
    claimed = as_admin.post(f"/staff/applications/{APP_ID}/claim")
    assert claimed.status_code == 303 and claimed.headers["location"].endswith("?done=CLAIMED")
    assert [r.application_id for r, _ in as_admin.calls.of("claim")] == [APP_ID]
    released = as_admin.post(f"/staff/applications/{APP_ID}/release")
    assert released.status_code == 303 and as_admin.calls.of("release_claim")
    held = as_admin.client.get(f"/staff/applications/{CLAIMED_APP_ID}")
    assert "由 张老师 处理中（至 10:30）。在此期间您不能办理这份申请" in held.text
    assert f"/staff/applications/{CLAIMED_APP_ID}/claim" not in held.text
    as_admin.client.cookies.set(LANG_COOKIE, "en")
    try:
        english = as_admin.client.get(f"/staff/applications/{CLAIMED_APP_ID}")
    finally:
        as_admin.client.cookies.delete(LANG_COOKIE)
    assert "Claimed by 张老师 (until 10:30). You cannot act on this application meanwhile." in english.text


def test_r_staff_6_json_api_bulk_and_claims(as_admin: Console) -> None:
    body = {"action": "APPROVE_REGISTERED", "application_ids": [APP_ID, CLAIMED_APP_ID],
            "idempotency_key": "json-key-0001"}
    answer = as_admin.post_json("/api/v1/staff/applications/bulk", body)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert (data["succeeded"], data["refused"], data["replayed"]) == (1, 1, False)
    assert [(r["ok"], r["code"], r["status"]) for r in data["results"]] == [
        (True, "", "REGISTERED"), (False, "R-STAFF-6", "")]
    assert as_admin.post_json("/api/v1/staff/applications/bulk", body).json()["replayed"] is True
    refused = as_admin.post_json("/api/v1/staff/applications/bulk", {**body, "action": "DEFER",
                                                                       "idempotency_key": "json-key-0002"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    no_key = as_admin.post_json("/api/v1/staff/applications/bulk", {**body, "idempotency_key": ""})
    assert no_key.status_code == 422
    by_filter = as_admin.post_json("/api/v1/staff/applications/bulk", {
        "action": "APPROVE_REGISTERED", "filter": {"status": "CONFIRMED"}, "idempotency_key": "json-key-0003"})
    assert by_filter.status_code == 200
    (request, _) = as_admin.calls.of("bulk_decide")[-1]
    assert request.where is not None and request.where.status == "CONFIRMED"
    claim = as_admin.post_json(f"/api/v1/staff/applications/{APP_ID}/claim", {})
    assert claim.status_code == 200 and claim.json()["mine"] is True
    released = as_admin.post_json(f"/api/v1/staff/applications/{APP_ID}/claim", None, method="DELETE")
    assert released.status_code == 200 and released.json() == {"released": True}
    assert status_pb2.APPROVE_REGISTERED  # the enum the API's names stand for
