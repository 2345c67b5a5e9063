"""The broadcast pages (R-STAFF-7) against fakes: what each role may choose, the preview's count and
hidden draft, a changed count or another organisation's point refused beside the form or on the
console's refusal page, and "change" bringing the draft back. The browser test
(tests/e2e/test_staff_broadcast.py) runs the same pages against the real services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from servicekit import errors
from tqr.application.v1 import broadcast_pb2 as pb
from tqr_gateway import deps
from tqr_gateway.clients.staff_broadcast import BroadcastDraft

from services.gateway.tests.unit.client_fakes import Recorder, actor_in, refused
from services.gateway.tests.unit.staff_fakes import Console, console


class FakeBroadcasts:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.count = 3

    async def preview(self, draft: BroadcastDraft, *, metadata: Any) -> pb.PreviewBroadcastResponse:
        self.recorder.record("preview", metadata, draft=draft)
        actor = actor_in(metadata)
        if draft.audience == "point:11010501" or actor is None:
            raise refused(errors.PermissionDenied("R-STAFF-7", "只能给本机构确认点的申请人发消息",
                                                  "You can write only to your own organisation's points"))
        return pb.PreviewBroadcastResponse(recipient_count=self.count, text=draft.text_message(),
                                           author_org_name="海淀区教委", audience_label="海淀一号确认点")

    async def send(self, draft: BroadcastDraft, *, idempotency_key: str, expected_count: int,
                   metadata: Any) -> pb.SendBroadcastResponse:
        self.recorder.record("send", metadata, draft=draft, key=idempotency_key, expected=expected_count)
        if expected_count != self.count:
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "audience", "R-STAFF-7", f"收件人数已变为 {self.count} 人，请重新预览后再发送",
                f"The number of recipients is now {self.count}; preview again before sending")]))
        return pb.SendBroadcastResponse(broadcast_id="b-1", recipient_count=self.count)

    def of(self, method: str) -> list[Any]:
        return [(arguments, actor) for name, arguments, actor in self.recorder.calls if name == method]


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Console, FakeBroadcasts]]:
    fake = FakeBroadcasts()
    with console() as staff_console:
        async def dependency() -> FakeBroadcasts:
            return fake

        staff_console.client.app.dependency_overrides[deps.staff_broadcast_client] = dependency  # type: ignore[attr-defined]
        yield staff_console, fake


@pytest.fixture
def fake(running: tuple[Console, FakeBroadcasts]) -> FakeBroadcasts:
    running[1].recorder.calls.clear()
    running[1].count = 3
    return running[1]


DRAFT = {"audience": "point:11010801", "statuses": ["SUBMITTED", "CONFIRMED"], "subject_zh": "周五暂停服务",
         "body_zh": "第一行\n第二行", "subject_en": "", "body_en": ""}


def test_r_staff_7_admin_chooses_own_plans_and_points_point_staff_only_their_point(running, fake) -> None:
    staff_console, _ = running
    staff_console.sign_in("tok-admin")
    page = staff_console.client.get("/staff/broadcast")
    assert page.status_code == 200 and 'href="/staff/broadcast"' in page.text
    assert 'value="plan:plan-1"' in page.text and 'value="point:11010802"' in page.text
    staff_console.sign_in("tok-point")
    page = staff_console.client.get("/staff/broadcast")
    assert 'value="point:11010801"' in page.text and "plan:" not in page.text
    staff_console.sign_in("tok-reviewer")
    assert staff_console.client.get("/staff/broadcast").status_code == 403


def test_r_staff_7_preview_shows_the_count_and_carries_the_draft_then_send(running, fake) -> None:
    staff_console, _ = running
    staff_console.sign_in("tok-admin")
    preview = staff_console.post("/staff/broadcast/preview", DRAFT)
    assert preview.status_code == 200
    assert "这条消息将发给 3 位申请人" in preview.text and "发送给 3 位申请人" in preview.text
    assert "<p>第一行</p>" in preview.text and "没有填写英文" in preview.text
    assert 'name="expected_count" value="3"' in preview.text
    (called, actor), = fake.of("preview")
    assert called.draft.statuses == ("SUBMITTED", "CONFIRMED") and actor.organisation_code == "110108"
    assert fake.of("send") == []  # a preview sends nothing

    key = preview.text.split('name="idempotency_key" value="')[1].split('"')[0]
    sent = staff_console.post("/staff/broadcast/send", {**DRAFT, "expected_count": "3", "idempotency_key": key})
    assert sent.status_code == 303 and sent.headers["location"] == "/staff/broadcast/sent?count=3"
    (called, _), = fake.of("send")
    assert called.key == key and called.draft.body_zh == "第一行\n第二行"
    assert "已发给 3 位申请人" in staff_console.client.get(sent.headers["location"]).text


def test_r_staff_7_a_changed_count_or_another_point_sends_nothing_and_says_why(running, fake) -> None:
    staff_console, _ = running
    staff_console.sign_in("tok-admin")
    fake.count = 4
    again = staff_console.post("/staff/broadcast/send", {**DRAFT, "expected_count": "3", "idempotency_key": "k"})
    assert again.status_code == 422 and "收件人数已变为 4 人" in again.text
    assert 'value="周五暂停服务"' in again.text  # the draft is kept
    other = staff_console.post("/staff/broadcast/preview", {**DRAFT, "audience": "point:11010501"})
    assert other.status_code == 403 and "只能给本机构确认点的申请人发消息" in other.text
    empty = staff_console.post("/staff/broadcast/preview", {"audience": "", "subject_zh": "", "body_zh": ""})
    assert empty.status_code == 422 and "请选择收件人范围" in empty.text
    assert len(fake.of("preview")) == 1  # an empty audience never reaches the service


def test_r_staff_7_change_brings_the_draft_back_to_the_form(running, fake) -> None:
    staff_console, _ = running
    staff_console.sign_in("tok-admin")
    back = staff_console.post("/staff/broadcast", DRAFT)
    assert back.status_code == 200
    assert 'value="周五暂停服务"' in back.text and "第一行\n第二行</textarea>" in back.text
    assert 'value="SUBMITTED" checked' in back.text and 'value="CONFIRMED" checked' in back.text
    assert 'value="point:11010801" selected' in back.text
