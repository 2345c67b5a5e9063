"""The staff JSON API: the same rules as the pages, problem documents for every refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.gateway.tests.unit.staff_fakes import APP_ID, APP_NUMBER, GOOD_CODE, PNG, Console, console


@pytest.fixture(scope="module")
def api() -> Iterator[Console]:
    with console() as running:
        yield running


def test_r_staff_2_find_by_form_code_over_the_api(api: Console) -> None:
    api.sign_in("tok-point")
    answer = api.post_json("/api/v1/staff/find", {"query": GOOD_CODE})
    assert answer.status_code == 200
    body = answer.json()
    assert body["kind"] == "FORM_CODE" and body["stale_printout"] is True
    assert [a["application_number"] for a in body["applications"]] == [APP_NUMBER]


def test_r_staff_2_altered_code_is_a_problem_document(api: Console) -> None:
    api.sign_in("tok-point")
    answer = api.post_json("/api/v1/staff/find", {"query": GOOD_CODE + "x"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["code"] == "R-STAFF-2" and problem["errors"][0]["field"] == "query"


def test_r_app_2_api_refuses_an_adverse_result_without_a_reason(api: Console) -> None:
    api.sign_in("tok-admin")
    answer = api.post_json(f"/api/v1/staff/applications/{APP_ID}/actions", {"action": "REJECT", "reason": ""})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "reason"
    ok = api.post_json(f"/api/v1/staff/applications/{APP_ID}/actions",
                       {"action": "APPROVE_REGISTERED", "reason": "材料齐全", "expected_version": 3})
    assert ok.status_code == 200 and ok.json()["status"] == "REGISTERED"


def test_r_staff_4_api_role_and_scope_refusals_are_problem_documents(api: Console) -> None:
    api.sign_in("tok-point")
    plans = api.client.get("/api/v1/staff/plans")
    assert plans.status_code == 403 and plans.json()["code"] == "STAFF_ROLE"
    api.sign_in("tok-other-admin")
    other = api.client.get(f"/api/v1/staff/applications/{APP_ID}")
    assert other.status_code == 403 and other.json()["code"] == "R-STAFF-4"


def test_r_plan_1_plan_times_without_an_offset_are_beijing_time(api: Console) -> None:
    api.sign_in("tok-admin")
    api.calls.items.clear()
    answer = api.post_json("/api/v1/staff/plans", {
        "name": "2026年定期注册", "online_start": "2026-03-01T08:30:00", "online_end": "2026-03-31T17:30:00+08:00",
        "points": [{"point_code": "11010801", "confirm_start": "2026-03-05T08:30", "confirm_end": "2026-03-20T17:30"}]})
    assert answer.status_code == 201
    (request, actor), = api.calls.of("CreatePlan")
    assert request.authority_code == "110108" and actor.organisation_code == "110108"
    assert request.online_start.ToJsonString() == "2026-03-01T00:30:00Z"
    assert request.points[0].confirm_end.ToJsonString() == "2026-03-20T09:30:00Z"


def test_r_staff_3_reviewer_decisions_and_photos(api: Console) -> None:
    api.sign_in("tok-reviewer")
    queue = api.client.get("/api/v1/staff/manual-reviews").json()
    assert queue["total"] == 1 and queue["cases"][0]["photo_urls"] == ["/api/v1/staff/photos/photo-1"]
    refused = api.post_json("/api/v1/staff/manual-reviews/case-1/decision", {"decision": "REJECTED"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reason"
    ok = api.post_json("/api/v1/staff/support-requests/sup-1/decision", {"decision": "APPROVED"})
    assert ok.status_code == 200 and ok.json()["status"] == "APPROVED"
    photo = api.client.get("/api/v1/staff/photos/photo-1")
    assert photo.content == PNG and photo.headers["cache-control"] == "no-store"


def test_openapi_documents_the_staff_api(api: Console) -> None:
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/staff/find", "/api/v1/staff/applications/{application_id}/actions",
                 "/api/v1/staff/plans", "/api/v1/staff/manual-reviews"):
        assert path in paths
