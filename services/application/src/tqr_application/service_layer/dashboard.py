"""The staff dashboard (issue 20 part 8): counts by status per authority and point, submissions
and confirmations per day, slot use (R-SLOT-1), from the application data, for the caller's organisation only
(R-STAFF-4): an authority admin its authority, point staff their point, a system admin everything.

Overdue manual reviews are the identity service's (R-STAFF-10) and are not counted here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from servicekit.errors import FieldProblem, InvalidInput

from tqr_application.adapters import dashboard_repository as figures
from tqr_application.adapters.dashboard_repository import Scope
from tqr_application.domain.edits import BEIJING
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.status import ApplicationStatus
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext

DEFAULT_DAYS = 14
MAX_DAYS = 62


@dataclass(frozen=True)
class Place:
    authority_code: str
    authority_name: str
    point_code: str  # "" for an authority's total
    point_name: str
    counts: dict[ApplicationStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Day:
    day: date
    submitted: int
    confirmed: int


@dataclass(frozen=True)
class SlotUse:
    point_code: str
    point_name: str
    slots: int
    capacity: int
    booked: int


@dataclass(frozen=True)
class Dashboard:
    authorities: list[Place]
    points: list[Place]
    days: list[Day]
    as_of: datetime
    slot_use: list[SlotUse]


def scope_of(actor: Actor) -> Scope:
    require_role(actor, Role.AUTHORITY_ADMIN, Role.POINT_STAFF, Role.SYSTEM_ADMIN)
    if actor.role is Role.AUTHORITY_ADMIN:
        return Scope(authority_code=actor.organisation_code)
    if actor.role is Role.POINT_STAFF:
        return Scope(point_code=actor.organisation_code)
    return Scope()


def _days(requested: int) -> int:
    if requested == 0:
        return DEFAULT_DAYS
    if not 1 <= requested <= MAX_DAYS:
        raise InvalidInput([FieldProblem("days", "INVALID_INPUT", f"天数应为 1 至 {MAX_DAYS}",
                                         f"Days must be 1 to {MAX_DAYS}")])
    return requested


async def dashboard(ctx: ServiceContext, actor: Actor, days: int = 0) -> Dashboard:
    scope = scope_of(actor)
    count = _days(days)
    now = ctx.now()
    today = now.astimezone(BEIJING).date()
    first = today - timedelta(days=count - 1)
    since = datetime.combine(first, time(0), BEIJING)
    async with ctx.transaction() as session:
        rows = await figures.status_counts(session, scope)
        submitted = await figures.submissions_per_day(session, scope, since)
        confirmed = await figures.confirmations_per_day(session, scope, since)
        slots = await figures.slot_use(session, scope, datetime.combine(today, time(0), BEIJING))
        authority_names, point_names = await figures.names(
            session, {r.authority_code for r in rows}, {r.point_code for r in rows} | {s.point_code for s in slots})
        await audit.record(session, actor, "VIEW_DASHBOARD", target_type="dashboard",
                           target_id=scope.point_code or scope.authority_code or "*", at=now)
    by_point: dict[tuple[str, str], dict[ApplicationStatus, int]] = defaultdict(dict)
    by_authority: dict[str, dict[ApplicationStatus, int]] = defaultdict(dict)
    for r in rows:
        status = ApplicationStatus(r.status)
        by_point[(r.authority_code, r.point_code)][status] = r.count
        by_authority[r.authority_code][status] = by_authority[r.authority_code].get(status, 0) + r.count
    authorities = [Place(code, authority_names.get(code, code), "", "", counts)
                   for code, counts in sorted(by_authority.items())]
    points = [Place(a, authority_names.get(a, a), p, point_names.get(p, p), counts)
              for (a, p), counts in sorted(by_point.items())]
    series = [Day(d, submitted.get(d, 0), confirmed.get(d, 0))
              for d in (first + timedelta(days=i) for i in range(count))]
    slot_use = [SlotUse(s.point_code, point_names.get(s.point_code, s.point_code), s.slots, s.capacity, s.booked)
                for s in slots]
    return Dashboard(authorities, points, series, now, slot_use)
