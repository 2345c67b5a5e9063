"""Which plan of an authority applies now, and the R-PLAN-2 / R-PLAN-3 refusals.

The rules live in ``domain.plans``; this adapts the stored ``PlanRecord`` to its ``RegistrationPlan``.
"""

from __future__ import annotations

from datetime import datetime

from tqr_application.adapters.plan_repository import PlanRecord
from tqr_application.domain import plans as rules


def as_domain(record: PlanRecord) -> rules.RegistrationPlan:
    return rules.RegistrationPlan(
        plan_id=record.id, authority_code=record.authority_code, title=record.name,
        online_start=record.online_start, online_end=record.online_end,
        point_windows=tuple(rules.PointWindow(p.point_code, p.confirm_start, p.confirm_end) for p in record.points),
    )


def current_plan(plans: list[PlanRecord], now: datetime) -> PlanRecord | None:
    """The plan in force: open now; else the next to open; else the latest closed."""
    if not plans:
        return None
    chosen = rules.plan_in_force([as_domain(p) for p in plans], plans[0].authority_code, now)
    return next(p for p in plans if chosen is not None and p.id == chosen.plan_id) if chosen else None


def ensure_has_plan(plan: PlanRecord | None, authority_name: str) -> PlanRecord:
    rules.require_plan(as_domain(plan) if plan else None, authority_name)
    assert plan is not None
    return plan


def ensure_online_open(plan: PlanRecord, now: datetime, authority_name: str) -> None:
    """R-PLAN-2 outside the online window, with the window's dates (Beijing time)."""
    rules.require_online_window_open(as_domain(plan), now, authority_name)


def ensure_has_points(plan: PlanRecord, authority_name: str) -> None:
    rules.require_confirmation_points(as_domain(plan), authority_name)


def check_definition(record: PlanRecord) -> None:
    """R-PLAN-1: windows that make sense (InvalidInput listing every problem)."""
    rules.check_plan_definition(as_domain(record))
