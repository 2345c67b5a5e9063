"""The staff dashboard's figures (issue 20 part 8): SQL aggregates over the applications and their
history, never rows brought into Python to be counted.

- Counts by (authority, point, status): one GROUP BY over ``applications`` within the scope
  (``ix_applications_authority_status`` / ``ix_applications_point_status`` serve the scoped ones).
- Submissions per day: ``applications.submitted_at`` from the first day's start, grouped by its
  date in Beijing (UTC+8 all year: China keeps no summer time).
- Confirmations per day: ``status_history`` rows of CONFIRM_ON_SITE from the first day's start
  (``ix_status_history_action_at``), joined to their application for the scope, grouped the same way.
- Slot use: the open appointment slots from today on, per point (``ix_appointment_slots_point_start``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tqr_application.adapters import orm
from tqr_application.domain.status import StatusAction


@dataclass(frozen=True)
class Scope:
    """Empty codes: every authority (a system admin)."""

    authority_code: str = ""
    point_code: str = ""

    def where(self) -> list[ColumnElement[bool]]:
        t = orm.applications
        found: list[ColumnElement[bool]] = []
        if self.authority_code:
            found.append(t.c.authority_code == self.authority_code)
        if self.point_code:
            found.append(t.c.point_code == self.point_code)
        return found


@dataclass(frozen=True)
class StatusRow:
    authority_code: str
    point_code: str
    status: str
    count: int


def _beijing_date(session: AsyncSession, column: ColumnElement[datetime]) -> ColumnElement[date]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours")


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def status_counts(session: AsyncSession, scope: Scope) -> list[StatusRow]:
    t = orm.applications
    query = (select(t.c.authority_code, t.c.point_code, t.c.status, func.count().label("n"))
             .where(*scope.where())
             .group_by(t.c.authority_code, t.c.point_code, t.c.status))
    return [StatusRow(r.authority_code, r.point_code, r.status, int(r.n)) for r in (await session.execute(query)).all()]


async def submissions_per_day(session: AsyncSession, scope: Scope, since: datetime) -> dict[date, int]:
    t = orm.applications
    day = _beijing_date(session, t.c.submitted_at).label("day")
    query = select(day, func.count().label("n")).where(*scope.where(), t.c.submitted_at >= since).group_by(day)
    return {_day(r.day): int(r.n) for r in (await session.execute(query)).all()}


async def confirmations_per_day(session: AsyncSession, scope: Scope, since: datetime) -> dict[date, int]:
    h, t = orm.status_history, orm.applications
    day = _beijing_date(session, h.c.at).label("day")
    query = (select(day, func.count().label("n"))
             .select_from(h.join(t, t.c.id == h.c.application_id))
             .where(h.c.action == StatusAction.CONFIRM_ON_SITE.value, h.c.at >= since, *scope.where())
             .group_by(day))
    return {_day(r.day): int(r.n) for r in (await session.execute(query)).all()}


@dataclass(frozen=True)
class SlotRow:
    point_code: str
    slots: int
    capacity: int
    booked: int


async def slot_use(session: AsyncSession, scope: Scope, since: datetime) -> list[SlotRow]:
    """R-SLOT-1: per point, the open slots starting from ``since``: how many, their places, taken."""
    s, p = orm.appointment_slots, orm.confirmation_points
    where = [s.c.status == "OPEN", s.c.starts_at >= since]
    if scope.point_code:
        where.append(s.c.point_code == scope.point_code)
    if scope.authority_code:
        where.append(p.c.authority_code == scope.authority_code)
    query = (select(s.c.point_code, func.count().label("slots"), func.sum(s.c.capacity).label("capacity"),
                    func.sum(s.c.booked).label("booked"))
             .select_from(s.join(p, p.c.code == s.c.point_code))
             .where(*where).group_by(s.c.point_code).order_by(s.c.point_code))
    return [SlotRow(r.point_code, int(r.slots), int(r.capacity or 0), int(r.booked or 0))
            for r in (await session.execute(query)).all()]


async def names(session: AsyncSession, authority_codes: set[str],
                point_codes: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(authority names, point names) of the codes shown."""
    a, p = orm.authorities, orm.confirmation_points
    authorities: dict[str, str] = {}
    points: dict[str, str] = {}
    if authority_codes:
        rows = await session.execute(select(a.c.code, a.c.name).where(a.c.code.in_(authority_codes)))
        authorities = {r.code: r.name for r in rows.all()}
    if point_codes:
        rows = await session.execute(select(p.c.code, p.c.name).where(p.c.code.in_(point_codes)))
        points = {r.code: r.name for r in rows.all()}
    return authorities, points
