"""The staff dashboard page (issue 20 part 8) against a fake of its client: the figures the service
gives for the signed-in organisation as accessible tables, Chinese by default and English on
request, the days choice checked, other roles refused before any call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from tqr.application.v1 import dashboard_pb2 as pb
from tqr_gateway import deps, vocabulary
from tqr_gateway.clients.workflow_rules import status_code

from services.gateway.tests.unit.client_fakes import actor_in
from services.gateway.tests.unit.staff_fakes import Console, console, ts

NAMES = {"110108": "北京市海淀区教育委员会", "110105": "北京市朝阳区教育委员会", "11010801": "海淀一号确认点",
         "11010802": "海淀二号确认点", "11010501": "朝阳确认点"}


def at(authority: str, point: str, **counts: int) -> pb.PlaceFigures:
    return pb.PlaceFigures(
        authority_code=authority, authority_name=NAMES[authority], point_code=point, point_name=NAMES.get(point, ""),
        counts=[pb.StatusCount(status=status_code(s), count=n) for s, n in counts.items()],
        total=sum(counts.values()))


class FakeDashboard:
    def __init__(self) -> None:
        self.calls: list[tuple[int, Any]] = []

    async def get(self, *, metadata: Any, days: int = 0) -> pb.GetStaffDashboardResponse:
        actor = actor_in(metadata)
        self.calls.append((days, actor))
        points = [at("110108", "11010801", SUBMITTED=5, CONFIRMED=2), at("110108", "11010802", REGISTERED=1)]
        authorities = [at("110108", "", SUBMITTED=5, CONFIRMED=2, REGISTERED=1)]
        if actor is not None and actor.role == vocabulary.SYSTEM_ADMIN:
            points.append(at("110105", "11010501", SUBMITTED=4))
            authorities.append(at("110105", "", SUBMITTED=4))
        first = date(2026, 3, 13) - timedelta(days=days - 1)
        series = [pb.DayFigures(date=(first + timedelta(days=i)).isoformat(), submitted=i, confirmed=i // 2)
                  for i in range(days)]
        slot_use = [pb.SlotUse(point_code="11010801", point_name=NAMES["11010801"], slots=3, capacity=30, booked=21)]
        return pb.GetStaffDashboardResponse(authorities=authorities, points=points, days=series, slot_use=slot_use,
                                            as_of=ts(datetime(2026, 3, 13, 2, 0, tzinfo=UTC)))


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[Console, FakeDashboard]]:
    fake = FakeDashboard()
    with console() as staff_console:

        async def dependency() -> FakeDashboard:
            return fake

        staff_console.client.app.dependency_overrides[deps.staff_dashboard_client] = dependency  # type: ignore[attr-defined]
        yield staff_console, fake


@pytest.fixture
def dash(running: tuple[Console, FakeDashboard]) -> tuple[Console, FakeDashboard]:
    staff_console, fake = running
    staff_console.client.cookies.delete("lang")
    fake.calls.clear()
    return staff_console, fake


def test_an_authority_admin_sees_its_points_by_status_and_the_last_14_days(dash) -> None:
    staff_console, fake = dash
    staff_console.sign_in("tok-admin")
    page = staff_console.client.get("/staff/dashboard")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert "<h1" in html and "数据概览" in html
    assert '<th scope="row" class="table__cell">海淀一号确认点（11010801）</th>' in html
    assert "各确认点的申请数（按申请状态）" in html
    # Columns: the statuses that occur, in the workflow's order, then the total.
    headers = [h.split(">")[1].split("<")[0] for h in html.split('<th scope="col"')[1:]]
    assert headers[:5] == ["确认点", "信息提交成功，等待现场确认", "信息已确认，待审批", "注册合格", "合计"]
    assert 'id="by-authority"' not in html  # one authority: its points are the breakdown
    assert html.count("<tr>") >= 2 + 14  # two points and fourteen days (plus headers)
    assert "2026年3月13日" in html and "2026年2月28日" in html
    (days, actor), = fake.calls
    assert days == 14 and actor.role == vocabulary.AUTHORITY_ADMIN and actor.organisation_code == "110108"
    staff_console.client.cookies.set("lang", "en")
    english = staff_console.client.get("/staff/dashboard?days=7").text
    assert "Applications at each confirmation point, by status" in english and "13 March 2026" in english
    assert fake.calls[-1][0] == 7


def test_r_slot_1_a_point_that_publishes_slots_shows_their_use(dash) -> None:
    staff_console, _ = dash
    staff_console.sign_in("tok-admin")
    html = staff_console.client.get("/staff/dashboard").text
    table = html.split('id="slot-use"')[1].split("</table>")[0]
    cells = [c.split(">")[1].split("<")[0] for c in table.split("<td")[1:]]
    assert "海淀一号确认点（11010801）" in table and cells == ["3", "30", "21", "9"]  # 9 places left


def test_a_system_admin_sees_every_authority(dash) -> None:
    staff_console, _ = dash
    staff_console.sign_in("tok-sysadmin")
    html = staff_console.client.get("/staff/dashboard").text
    assert 'id="by-authority"' in html and "北京市朝阳区教育委员会（110105）" in html
    home = staff_console.client.get("/staff").text
    assert "/staff/dashboard" in home


def test_a_bad_days_choice_is_a_bilingual_error_not_a_500(dash) -> None:
    staff_console, fake = dash
    staff_console.sign_in("tok-point")
    answer = staff_console.client.get("/staff/dashboard?days=9999")
    assert answer.status_code == 422 and "请选择 7、14 或 30 天" in answer.text
    assert fake.calls[-1][0] == 14  # the default figures are still shown
    staff_console.client.cookies.set("lang", "en")
    assert "Choose 7, 14 or 30 days" in staff_console.client.get("/staff/dashboard?days=abc").text


def test_r_staff_4_a_reviewer_is_refused_before_any_call(dash) -> None:
    staff_console, fake = dash
    staff_console.sign_in("tok-reviewer")
    assert staff_console.client.get("/staff/dashboard").status_code == 403
    assert not fake.calls
