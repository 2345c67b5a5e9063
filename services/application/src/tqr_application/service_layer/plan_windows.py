"""Which plan of an authority applies now, and the R-PLAN-2 / R-PLAN-3 refusals.

The rules live in ``domain.plans``; these are the service layer's short forms of them.
"""

from __future__ import annotations

from datetime import datetime

from tqr_application.domain import plans as rules
from tqr_application.domain.plans import RegistrationPlan


def current_plan(plans: list[RegistrationPlan], now: datetime) -> RegistrationPlan | None:
    """The plan in force: open now; else the next to open; else the latest closed."""
    if not plans:
        return None
    return rules.plan_in_force(plans, plans[0].authority_code, now)


def ensure_has_plan(plan: RegistrationPlan | None, authority_name: str) -> RegistrationPlan:
    return rules.require_plan(plan, authority_name)


def ensure_online_open(plan: RegistrationPlan, now: datetime, authority_name: str) -> None:
    """R-PLAN-2 outside the online window, with the window's dates (Beijing time)."""
    rules.require_online_window_open(plan, now, authority_name)


def ensure_has_points(plan: RegistrationPlan, authority_name: str) -> None:
    rules.require_confirmation_points(plan, authority_name)


def check_definition(plan: RegistrationPlan) -> None:
    """R-PLAN-1: windows that make sense (InvalidInput listing every problem)."""
    rules.check_plan_definition(plan)
