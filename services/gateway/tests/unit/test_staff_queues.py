"""Pages of identity reviewers, plans, points and lists against fakes of the staff clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from tqr_gateway import vocabulary

from services.gateway.tests.unit.staff_fakes import PNG, Console, console


@pytest.fixture(scope="module")
def pages() -> Iterator[Console]:
    with console() as running:
        yield running


def test_r_staff_3_review_case_shows_photos_served_through_the_gateway(pages: Console) -> None:
    pages.sign_in("tok-reviewer")
    queue = pages.client.get("/staff/reviews")
    assert queue.status_code == 200 and "张三" in queue.text and "/staff/reviews/case-1" in queue.text
    case = pages.client.get("/staff/reviews/case-1")
    assert '<img src="/staff/photos/photo-1"' in case.text
    photo = pages.client.get("/staff/photos/photo-1")
    assert photo.content == PNG and photo.headers["content-type"] == "image/png"
    assert photo.headers["cache-control"] == "no-store"


def test_r_staff_3_rejection_needs_a_reason(pages: Console) -> None:
    pages.sign_in("tok-reviewer")
    pages.calls.clear()
    refused = pages.post("/staff/reviews/case-1", {"decision": "REJECTED", "reason": ""})
    assert refused.status_code == 422 and "申请人会看到" in refused.text
    assert not pages.calls.of("decide_manual_review")
    ok = pages.post("/staff/support/sup-1", {"decision": "REJECTED", "reason": "照片不清晰，请重新上传"})
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/support?done=REJECTED"
    (request, actor), = pages.calls.of("decide_support_request")
    assert request.reason == "照片不清晰，请重新上传" and actor.role == vocabulary.IDENTITY_REVIEWER


def test_r_plan_1_plan_form_reads_times_as_beijing_time(pages: Console) -> None:
    pages.sign_in("tok-admin")
    pages.calls.clear()
    form = pages.client.get("/staff/plans/new")
    assert 'type="datetime-local"' in form.text and "海淀二号确认点" in form.text
    answer = pages.post("/staff/plans/new", {
        "name": "2026年定期注册", "online_start": "2026-03-01T08:30", "online_end": "2026-03-31T17:30",
        "include_11010801": "1", "start_11010801": "2026-03-05T08:30", "end_11010801": "2026-03-20T17:30",
        "start_11010802": "", "end_11010802": ""})
    assert answer.status_code == 303
    (request, _), = pages.calls.of("create_plan")
    assert request.plan.online_start == datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    assert [p.point_code for p in request.plan.points] == ["11010801"]


def test_r_plan_1_plan_form_refuses_a_window_that_ends_before_it_starts(pages: Console) -> None:
    pages.sign_in("tok-admin")
    pages.calls.clear()
    answer = pages.post("/staff/plans/new", {"name": "x", "online_start": "2026-03-31T08:30",
                                             "online_end": "2026-03-01T17:30"})
    assert answer.status_code == 422 and "晚于开始时间" in answer.text
    assert not pages.calls.of("create_plan")


def test_plan_edit_shows_the_stored_times_in_beijing_time(pages: Console) -> None:
    pages.sign_in("tok-admin")
    page = pages.client.get("/staff/plans/plan-1/edit")
    assert 'value="2026-03-01T08:30"' in page.text  # stored 00:30 UTC


def test_r_app_4_point_staff_edit_their_points_notes_and_export(pages: Console) -> None:
    pages.sign_in("tok-point")
    pages.calls.clear()
    listing = pages.client.get("/staff/points")
    assert "请带身份证原件" in listing.text and "海淀二号确认点" not in listing.text
    saved = pages.post("/staff/points/11010801/notes", {"notes": "周一至周五 9:00-17:00"})
    assert saved.status_code == 303
    assert [r.notes for r, _ in pages.calls.of("set_point_notes")] == ["周一至周五 9:00-17:00"]
    export = pages.client.get("/staff/points/11010801/export.xlsx")
    assert export.status_code == 200 and export.content.startswith(b"PK")
    assert "attachment" in export.headers["content-disposition"]


def test_r_app_4_a_points_staff_see_their_point_whatever_its_code_looks_like(pages: Console) -> None:
    pages.sign_in("tok-odd-point")
    pages.calls.clear()
    listing = pages.client.get("/staff/points")
    assert listing.status_code == 200
    assert "海淀实验学校确认点" in listing.text and "海淀区学院路 7 号" in listing.text and "请走东门" in listing.text
    assert "海淀一号确认点" not in listing.text
    assert [r.point_code for r, _ in pages.calls.of("point")] == ["HD-SCHOOL-7"]


def test_r_staff_2_lists_filter_by_name_through_post_and_page_with_tokens(pages: Console) -> None:
    pages.sign_in("tok-admin")
    pages.calls.clear()
    first = pages.client.get("/staff/applications?status=CONFIRMED")
    assert first.status_code == 200 and "申请人0" in first.text
    assert 'name="page_token" value="tok-2"' in first.text
    pages.post("/staff/applications", {"name": "王小明", "page_token": "tok-2", "status": "CONFIRMED"})
    requests = [r for r, _ in pages.calls.of("search")]
    assert requests[0].status == "CONFIRMED"
    assert (requests[1].applicant_name, requests[1].page_token) == ("王小明", "tok-2")


def test_system_admin_sees_the_reference_overview(pages: Console) -> None:
    pages.sign_in("tok-sysadmin")
    page = pages.client.get("/staff/reference")
    assert page.status_code == 200 and "海淀区教委" in page.text and "小学" in page.text


def test_r_id_11_a_request_made_without_signing_in_is_flagged_for_the_reviewer(pages: Console) -> None:
    pages.sign_in("tok-reviewer")
    flagged = pages.client.get("/staff/support/sup-2")
    assert "此申请由未登录的人提交" in flagged.text and "王 五" in flagged.text
    plain = pages.client.get("/staff/support/sup-1")
    assert plain.status_code == 200 and "此申请由未登录的人提交" not in plain.text


def test_r_staff_10_an_escalated_review_is_marked_overdue_in_the_reviewers_queue(pages: Console) -> None:
    """R-STAFF-10: the reviewers' queue marks an escalated review 已逾期."""
    from tqr.identity.v1 import identity_pb2 as id_pb
    from tqr_gateway import deps

    from services.gateway.tests.unit.staff_fakes import Calls, FakeStaffIdentity, _returning

    pages.sign_in("tok-reviewer")
    assert "已逾期" not in pages.client.get("/staff/reviews").text
    fake = FakeStaffIdentity(Calls())
    fake.cases.insert(0, id_pb.ManualReviewCase(case_id="case-0", name="赵六", due_date="2026-03-02",
                                                escalated_at="2026-03-03T16:00:00+00:00"))
    overrides = pages.client.app.dependency_overrides  # type: ignore[attr-defined]
    previous = overrides[deps.staff_identity_client]
    overrides[deps.staff_identity_client] = _returning(fake)
    try:
        queue = pages.client.get("/staff/reviews").text
    finally:
        overrides[deps.staff_identity_client] = previous
    row = queue[queue.index("赵六"):queue.index("张三")]
    assert "已逾期" in row and "已上报审核员" in queue
