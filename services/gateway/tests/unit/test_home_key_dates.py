"""The home page's 重要时间 come from the live registration plans (issue 19 item 16)."""

from __future__ import annotations

import pytest
from tqr.application.v1 import views_pb2 as views

from services.gateway.tests.unit.wizard_fakes import State, gateway

pytestmark = pytest.mark.redis


def plan(authority: str, name: str, online: tuple[int, int], points: list[tuple[int, int]]) -> views.Plan:
    found = views.Plan(plan_id=f"plan-{authority}", authority_name=authority, name=name)
    found.online_start.FromSeconds(online[0])
    found.online_end.FromSeconds(online[1])
    for start, end in points:
        window = found.points.add(point_code=f"P{start}")
        window.confirm_start.FromSeconds(start)
        window.confirm_end.FromSeconds(end)
    return found


async def test_home_lists_each_plans_online_and_confirmation_windows() -> None:
    state = State(current_plans=[
        # online 2036-03-01 09:00 .. 2036-03-31 17:00; points 2036-04-01 09:00 .. 04-05 17:00 and 04-02 .. 04-10 17:00
        plan("北京市海淀区教育委员会", "2036年定期注册", (2_087_946_000, 2_090_566_800),
             [(2_090_624_400, 2_090_998_800), (2_090_710_800, 2_091_430_800)]),
        plan("上海市黄浦区教育局", "2036年春季", (2_087_946_000, 2_090_566_800), []),
    ])
    async with gateway(state) as client:
        page = await client.get("/")
    dates = page.text[page.text.index('id="key-dates"'):]
    assert "北京市海淀区教育委员会 · 2036年定期注册" in dates
    assert "网上申报：2036年3月1日 09:00 至 2036年3月31日 17:00" in dates
    # The confirmation summary spans the earliest start to the latest end of the points.
    assert "现场确认：2036年4月1日 09:00 至 2036年4月10日 17:00" in dates
    assert "上海市黄浦区教育局 · 2036年春季" in dates and "确认点尚未安排" in dates
    assert "目前没有" not in dates


async def test_home_says_plainly_when_no_plan_is_running() -> None:
    async with gateway(State()) as client:
        page = await client.get("/")
    assert "目前没有正在进行或即将开始的注册计划" in page.text
    assert 'class="key-dates"' not in page.text
