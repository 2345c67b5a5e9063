"""Which demo authorities should have a registration plan, and in what state, for the seeding code.

Plans belong to another module; this is plain data about the demo set. Windows are given as day
offsets from the day the demo is seeded, so a demo seeded on any day shows the same situations:
an open plan, one not yet open, one closed, an authority with no plan (R-PLAN-2) and an open
plan with no confirmation points (R-PLAN-3). ``resolve()`` turns offsets into aware datetimes
(online windows open at 08:30 and close at 17:30 Beijing time, like office hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache

from demodata import DEFAULT_SEED

from tqr_application.reference_data.demo_data import demo_batch

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
OPENS_AT = time(8, 30)
CLOSES_AT = time(17, 30)


class PlanState(StrEnum):
    OPEN = "OPEN"  # online window contains today; points confirm now or soon
    NOT_YET_OPEN = "NOT_YET_OPEN"
    CLOSED = "CLOSED"
    NO_PLAN = "NO_PLAN"  # R-PLAN-2: the authority has not set one up
    OPEN_WITHOUT_POINTS = "OPEN_WITHOUT_POINTS"  # R-PLAN-3


@dataclass(frozen=True)
class DemoPointWindow:
    point_code: str
    confirm_start_day: int  # offsets in days from the seeding day
    confirm_end_day: int


@dataclass(frozen=True)
class DemoPlanScenario:
    authority_code: str
    state: PlanState
    online_start_day: int | None  # None for NO_PLAN
    online_end_day: int | None
    point_windows: tuple[DemoPointWindow, ...]

    def resolve(self, today: date) -> tuple[tuple[datetime, datetime] | None,
                                            tuple[tuple[str, datetime, datetime], ...]]:
        """(online window or None, ((point code, confirm start, confirm end), ...))."""
        online = None
        if self.online_start_day is not None and self.online_end_day is not None:
            online = (_at(today, self.online_start_day, OPENS_AT), _at(today, self.online_end_day, CLOSES_AT))
        windows = tuple(
            (w.point_code, _at(today, w.confirm_start_day, OPENS_AT),
             _at(today, w.confirm_end_day, CLOSES_AT))
            for w in self.point_windows
        )
        return online, windows


def _at(today: date, offset: int, clock: time) -> datetime:
    return datetime.combine(today + timedelta(days=offset), clock, tzinfo=BEIJING)


# Authorities with a deliberate situation; every other demo authority gets an open plan.
SPECIAL_STATES: dict[str, PlanState] = {
    "110102": PlanState.NOT_YET_OPEN,  # 北京市西城区
    "110101": PlanState.CLOSED,  # 北京市东城区
    "110106": PlanState.NO_PLAN,  # 北京市丰台区
    "110107": PlanState.OPEN_WITHOUT_POINTS,  # 北京市石景山区
    "310104": PlanState.NOT_YET_OPEN,  # 上海市徐汇区
    "440106": PlanState.CLOSED,  # 广州市天河区
    "510107": PlanState.NO_PLAN,  # 成都市武侯区
    "410105": PlanState.OPEN_WITHOUT_POINTS,  # 郑州市金水区
}
# In this open plan the last point's confirmation window has already ended, so an applicant who
# chose it can no longer edit (R-APP-3) although the online window is still open.
ENDED_POINT_AUTHORITY = "110108"  # 北京市海淀区

_ONLINE = {
    PlanState.OPEN: (-10, 20),
    PlanState.OPEN_WITHOUT_POINTS: (-10, 20),
    PlanState.NOT_YET_OPEN: (7, 30),
    PlanState.CLOSED: (-60, -30),
}
# Confirmation windows of the 1st, 2nd and 3rd point of each state.
_CONFIRM = {
    PlanState.OPEN: ((-5, 25), (3, 30), (-8, 28)),
    PlanState.NOT_YET_OPEN: ((10, 40), (12, 40), (15, 45)),
    PlanState.CLOSED: ((-55, -20), (-50, -25), (-45, -20)),
}


@lru_cache(maxsize=2)
def demo_plan_scenarios(seed: int = DEFAULT_SEED) -> tuple[DemoPlanScenario, ...]:
    """One scenario per demo authority, in the order of the demo authorities."""
    batch = demo_batch(seed)
    scenarios: list[DemoPlanScenario] = []
    for authority in batch.authorities:
        state = SPECIAL_STATES.get(authority.code, PlanState.OPEN)
        points = [p.code for p in batch.confirmation_points if p.authority_code == authority.code]
        windows: list[DemoPointWindow] = []
        if state in _CONFIRM:
            for index, code in enumerate(points):
                start, end = _CONFIRM[state][index % 3]
                windows.append(DemoPointWindow(code, start, end))
        if authority.code == ENDED_POINT_AUTHORITY and windows:
            windows[-1] = DemoPointWindow(windows[-1].point_code, -9, -2)
        online = _ONLINE.get(state)
        scenarios.append(DemoPlanScenario(
            authority_code=authority.code, state=state,
            online_start_day=online[0] if online else None, online_end_day=online[1] if online else None,
            point_windows=tuple(windows),
        ))
    return tuple(scenarios)
