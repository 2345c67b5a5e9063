"""R-PLAN-1..3: plans, their windows at the boundaries, and which plan is in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from servicekit.clock import ManualClock
from servicekit.errors import InvalidInput, RuleViolation
from tqr_application.domain.plans import (
    PointWindow,
    RegistrationPlan,
    check_plan_definition,
    format_window_zh,
    plan_for_new_application,
    plan_in_force,
    require_confirmation_points,
    require_online_window_open,
    require_plan,
)

CST = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # 2026-03-01 9:00 Beijing
END = datetime(2026, 3, 31, 9, 30, tzinfo=UTC)  # 2026-03-31 17:30 Beijing
POINT = PointWindow("CY-1", datetime(2026, 4, 1, 9, tzinfo=CST), datetime(2026, 4, 10, 17, tzinfo=CST))
PLAN = RegistrationPlan("plan-1", "110105", "朝阳区2026年春季", START, END, (POINT,))
NAME = "北京市朝阳区教育委员会"


def test_r_plan_1_plan_with_windows_and_points() -> None:
    check_plan_definition(PLAN)
    assert PLAN.window_of("CY-1") == POINT and PLAN.window_of("HD-1") is None
    assert PLAN.point_codes == ("CY-1",)


def test_r_plan_1_malformed_plans_are_refused_per_field() -> None:
    bad = RegistrationPlan("p", "110105", " ", END, START, (POINT, PointWindow("CY-1", END, START)))
    with pytest.raises(InvalidInput) as caught:
        check_plan_definition(bad)
    assert caught.value.code == "R-PLAN-1"
    assert {p.field for p in caught.value.problems} == {
        "title", "online_end", "point_windows[1].point_code", "point_windows[1].confirm_end"}


def test_r_plan_1_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        RegistrationPlan("p", "110105", "t", datetime(2026, 3, 1), END)


def test_r_plan_2_no_plan_says_so() -> None:
    with pytest.raises(RuleViolation) as caught:
        plan_for_new_application([], "110105", START, NAME)
    assert caught.value.code == "R-PLAN-2"
    assert caught.value.message_zh.startswith(f"{NAME}尚未设置注册计划")
    assert "registration plan" in caught.value.message_en


def test_r_plan_2_plans_of_other_authorities_do_not_count() -> None:
    other = RegistrationPlan("plan-9", "110108", "海淀", START, END, (POINT,))
    with pytest.raises(RuleViolation) as caught:
        plan_for_new_application([other], "110105", START + timedelta(days=1), NAME)
    assert caught.value.code == "R-PLAN-2"


@pytest.mark.parametrize(("instant", "refusal"), [
    (START - timedelta(seconds=1), "尚未开始"),
    (START, None),
    (END, None),
    (END + timedelta(seconds=1), "已经结束"),
])
def test_r_plan_2_online_window_boundaries(instant: datetime, refusal: str | None) -> None:
    clock = ManualClock(instant)
    if refusal is None:
        assert plan_for_new_application([PLAN], "110105", clock.now(), NAME) == PLAN
        return
    with pytest.raises(RuleViolation) as caught:
        plan_for_new_application([PLAN], "110105", clock.now(), NAME)
    assert caught.value.code == "R-PLAN-2"
    assert caught.value.message_zh == f"{NAME}的网上申报时间为 2026年3月1日 9:00 至 2026年3月31日 17:30，{refusal}"
    assert "2026-03-01 9:00" in caught.value.message_en and "Beijing time" in caught.value.message_en


def test_r_plan_2_dates_are_shown_in_beijing_time() -> None:
    late_utc = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # already 1 April in Beijing
    assert format_window_zh(START, late_utc) == "2026年3月1日 9:00 至 2026年4月1日 0:00"


def test_r_plan_2_a_rule_id_may_be_given_for_submission() -> None:
    with pytest.raises(RuleViolation) as caught:
        require_online_window_open(PLAN, END + timedelta(seconds=1), NAME, rule="R-WIZ-7")
    assert caught.value.code == "R-WIZ-7"


def test_r_plan_2_require_plan_passes_a_plan_through() -> None:
    assert require_plan(PLAN) is PLAN


def test_r_plan_3_plan_without_points() -> None:
    bare = RegistrationPlan("plan-2", "110105", "无确认点", START, END)
    check_plan_definition(bare)  # may be opened before points are arranged
    with pytest.raises(RuleViolation) as caught:
        require_confirmation_points(bare, NAME)
    assert caught.value.code == "R-PLAN-3"
    assert NAME in caught.value.message_zh and "现场确认点" in caught.value.message_zh
    require_confirmation_points(PLAN, NAME)


def test_r_plan_2_plan_in_force_open_then_upcoming_then_latest_closed() -> None:
    spring = PLAN
    autumn = RegistrationPlan("plan-autumn", "110105", "秋季", datetime(2026, 9, 1, tzinfo=CST),
                              datetime(2026, 9, 30, tzinfo=CST), (POINT,))
    last_year = RegistrationPlan("plan-2025", "110105", "2025", datetime(2025, 9, 1, tzinfo=CST),
                                 datetime(2025, 9, 30, tzinfo=CST), (POINT,))
    plans = [autumn, last_year, spring]
    assert plan_in_force(plans, "110105", START + timedelta(days=3)) == spring
    assert plan_in_force(plans, "110105", END + timedelta(seconds=1)) == autumn
    assert plan_in_force(plans, "110105", datetime(2025, 12, 1, tzinfo=CST)) == spring
    assert plan_in_force(plans, "110105", datetime(2026, 12, 1, tzinfo=CST)) == autumn
    assert plan_in_force([last_year], "110105", datetime(2026, 12, 1, tzinfo=CST)) == last_year
    assert plan_in_force(plans, "110108", START) is None
