"""Registration plans (初审注册计划) and the checks a new application meets (R-PLAN-1..3).

An authority opens a plan with an online application window and one or more confirmation points,
each with its own confirmation window (R-PLAN-1). Windows are closed intervals [start, end]: an
application at exactly ``end`` is still in time, one second later it is not. Instants are aware
datetimes (stored in UTC); people read them in Beijing time, so every message formats the dates in
Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from servicekit.errors import FieldProblem, InvalidInput, RuleViolation


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # a slim image without tzdata: China has had no DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI = _shanghai()


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class PointWindow:
    """One confirmation point taking part in a plan, with its on-site confirmation window."""

    point_code: str
    confirm_start: datetime
    confirm_end: datetime

    def __post_init__(self) -> None:
        _require_aware("confirm_start", self.confirm_start)
        _require_aware("confirm_end", self.confirm_end)


@dataclass(frozen=True)
class RegistrationPlan:
    plan_id: str
    authority_code: str
    title: str
    online_start: datetime
    online_end: datetime
    point_windows: tuple[PointWindow, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("online_start", self.online_start)
        _require_aware("online_end", self.online_end)

    def is_open(self, now: datetime) -> bool:
        return self.online_start <= now <= self.online_end

    def is_over(self, now: datetime) -> bool:
        """Nobody can act on it any more: its online window and every confirmation window have ended."""
        return self.online_end < now and all(w.confirm_end < now for w in self.point_windows)

    def window_of(self, point_code: str) -> PointWindow | None:
        return next((w for w in self.point_windows if w.point_code == point_code), None)

    @property
    def point_codes(self) -> tuple[str, ...]:
        return tuple(w.point_code for w in self.point_windows)


# --- R-PLAN-1: what a well-formed plan looks like ------------------------------------------------


def check_plan_definition(plan: RegistrationPlan) -> None:
    """Refuse a plan an authority admin is saving when its windows make no sense (R-PLAN-1).

    Points are optional here: a plan may be opened before its points are arranged (R-PLAN-3 then
    tells applicants at step 5).
    """
    problems: list[FieldProblem] = []
    if not plan.title.strip():
        problems.append(FieldProblem("title", "R-PLAN-1", "请填写计划名称", "Give the plan a title"))
    if plan.online_end <= plan.online_start:
        problems.append(FieldProblem("online_end", "R-PLAN-1", "网上申报结束时间应晚于开始时间",
                                     "The online window must end after it starts"))
    seen: set[str] = set()
    for i, window in enumerate(plan.point_windows):
        if window.point_code in seen:
            problems.append(FieldProblem(f"point_windows[{i}].point_code", "R-PLAN-1",
                                         "同一个现场确认点只能出现一次", "A confirmation point may appear only once"))
        seen.add(window.point_code)
        if window.confirm_end <= window.confirm_start:
            problems.append(FieldProblem(f"point_windows[{i}].confirm_end", "R-PLAN-1",
                                         "现场确认结束时间应晚于开始时间",
                                         "The confirmation window must end after it starts"))
        if window.confirm_end < plan.online_start:
            problems.append(FieldProblem(f"point_windows[{i}].confirm_end", "R-PLAN-1",
                                         "现场确认不能在网上申报开始之前就结束",
                                         "Confirmation cannot end before online applications open"))
    if problems:
        raise InvalidInput(problems, code="R-PLAN-1")


# --- which plan applies ---------------------------------------------------------------------------


def plan_in_force(plans: Iterable[RegistrationPlan], authority_code: str, now: datetime) -> RegistrationPlan | None:
    """The plan of ``authority_code`` an applicant deals with at ``now``.

    The one whose online window contains now (the latest-starting if several overlap); else the
    next to open; else the most recently closed. The fallbacks exist so a refusal can name dates.
    """
    _require_aware("now", now)
    own = [p for p in plans if p.authority_code == authority_code]
    open_now = [p for p in own if p.is_open(now)]
    if open_now:
        return max(open_now, key=lambda p: p.online_start)
    upcoming = [p for p in own if p.online_start > now]
    if upcoming:
        return min(upcoming, key=lambda p: p.online_start)
    return max(own, key=lambda p: p.online_end) if own else None


# --- R-PLAN-2 / R-PLAN-3 refusals -------------------------------------------------------------------


def _who(authority_name: str) -> tuple[str, str]:
    return (authority_name or "该注册机构", authority_name or "This registration authority")


def require_plan(plan: RegistrationPlan | None, authority_name: str = "") -> RegistrationPlan:
    if plan is None:
        zh, en = _who(authority_name)
        raise RuleViolation(
            "R-PLAN-2",
            f"{zh}尚未设置注册计划，暂时不能向其申请。请留意该机构的通知，或确认是否选对了注册机构。",
            f"{en} has not set up a registration plan yet, so you cannot apply to it now. Watch for its "
            "announcement, or check that you chose the right authority.",
        )
    return plan


def require_online_window_open(plan: RegistrationPlan, now: datetime, authority_name: str = "",
                               rule: str = "R-PLAN-2") -> None:
    """Refuse outside [online_start, online_end], naming the window in Beijing time."""
    _require_aware("now", now)
    zh, en = _who(authority_name)
    window_zh = format_window_zh(plan.online_start, plan.online_end)
    window_en = format_window_en(plan.online_start, plan.online_end)
    if now < plan.online_start:
        raise RuleViolation(rule, f"{zh}的网上申报时间为 {window_zh}，尚未开始",
                            f"Online applications to {en} run {window_en}; they have not opened yet")
    if now > plan.online_end:
        raise RuleViolation(rule, f"{zh}的网上申报时间为 {window_zh}，已经结束",
                            f"Online applications to {en} ran {window_en}; they have closed")


def require_confirmation_points(plan: RegistrationPlan, authority_name: str = "") -> None:
    if not plan.point_windows:
        zh, en = _who(authority_name)
        raise RuleViolation(
            "R-PLAN-3",
            f"{zh}的注册计划尚未安排现场确认点，暂时不能选择。请稍后再试，或联系该注册机构。",
            f"{en} has not arranged any confirmation point for its plan yet. Try again later, or "
            "contact the authority.",
        )


def require_confirmation_window_not_ended(window: PointWindow, now: datetime, field: str = "point_code",
                                          rule: str = "R-WIZ-5") -> None:
    """Refuse a point whose confirmation window has ended, naming the window in Beijing time.

    An application tied to such a point could never be confirmed (and is read-only once the window
    ends), so it is refused when chosen, as an authority is after its online window (R-PLAN-2).
    """
    _require_aware("now", now)
    if now > window.confirm_end:
        window_zh = format_window_zh(window.confirm_start, window.confirm_end)
        window_en = format_window_en(window.confirm_start, window.confirm_end)
        raise InvalidInput([FieldProblem(
            field, rule, f"该现场确认点的现场确认时间为 {window_zh}，已经结束，请选择其他确认点",
            f"This point's confirmation window ran {window_en}; it has closed. Choose another point",
        )], code=rule)


def plan_for_new_application(plans: Iterable[RegistrationPlan], authority_code: str, now: datetime,
                             authority_name: str = "") -> RegistrationPlan:
    """The plan a new application to ``authority_code`` goes into, or the R-PLAN-2 refusal."""
    plan = require_plan(plan_in_force(plans, authority_code, now), authority_name)
    require_online_window_open(plan, now, authority_name)
    return plan


# --- dates as people read them ----------------------------------------------------------------------


def format_instant_zh(at: datetime) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour}:{local.minute:02d}"


def format_instant_en(at: datetime) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{local:%Y-%m-%d} {local.hour}:{local.minute:02d}"


def format_window_zh(start: datetime, end: datetime) -> str:
    return f"{format_instant_zh(start)} 至 {format_instant_zh(end)}"


def format_window_en(start: datetime, end: datetime) -> str:
    return f"from {format_instant_en(start)} to {format_instant_en(end)} (Beijing time)"
