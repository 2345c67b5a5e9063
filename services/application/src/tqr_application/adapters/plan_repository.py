"""Registration plans and their points' confirmation windows, stored and read as the domain's
``RegistrationPlan``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.adapters.reference_cache import reference_changed, remembered
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.service_layer.context import aware


async def insert_plan(session: AsyncSession, plan: RegistrationPlan, created_at: datetime) -> None:
    await reference_changed(session)
    await session.execute(insert(orm.plans).values(
        id=plan.plan_id, authority_code=plan.authority_code, name=plan.title,
        online_start=plan.online_start, online_end=plan.online_end, created_at=created_at,
    ))
    await _insert_points(session, plan)


async def replace_plan(session: AsyncSession, plan: RegistrationPlan) -> None:
    await reference_changed(session)
    await session.execute(update(orm.plans).where(orm.plans.c.id == plan.plan_id).values(
        name=plan.title, online_start=plan.online_start, online_end=plan.online_end,
    ))
    await session.execute(delete(orm.plan_points).where(orm.plan_points.c.plan_id == plan.plan_id))
    await _insert_points(session, plan)


async def _insert_points(session: AsyncSession, plan: RegistrationPlan) -> None:
    if plan.point_windows:
        await session.execute(insert(orm.plan_points), [
            {"plan_id": plan.plan_id, "point_code": p.point_code, "confirm_start": p.confirm_start,
             "confirm_end": p.confirm_end}
            for p in plan.point_windows
        ])


async def plans_of_authority(session: AsyncSession, authority_code: str) -> list[RegistrationPlan]:
    return list(await remembered(session, ("plans of", authority_code), lambda s: _plans_of(s, authority_code)))


async def _plans_of(session: AsyncSession, authority_code: str) -> tuple[RegistrationPlan, ...]:
    rows = (await session.execute(
        select(orm.plans).where(orm.plans.c.authority_code == authority_code).order_by(orm.plans.c.online_start)
    )).all()
    return await _with_points_of(session, rows)


@dataclass(frozen=True)
class _NotOver:
    read_at: datetime
    plans: tuple[RegistrationPlan, ...]


async def plans_not_over(session: AsyncSession, now: datetime) -> list[RegistrationPlan]:
    """Every plan whose online window or one of its confirmation windows has not ended at ``now``,
    soonest first.

    Every home page and every step-4 page asks, so they are remembered with the reference data
    (a saved plan changes the version). A plan over when they were read stays over (its windows
    only end), so what was read, checked again against ``now``, is the answer until the version
    changes; only a clock set back (tests) reads again."""
    read = await remembered(session, "plans not over", lambda s: _plans_not_over(s, now))
    if now < read.read_at:
        read = await _plans_not_over(session, now)
    return [plan for plan in read.plans if not plan.is_over(now)]


async def _plans_not_over(session: AsyncSession, now: datetime) -> _NotOver:
    p, t = orm.plans, orm.plan_points
    live_point = select(t.c.plan_id).where(t.c.confirm_end >= now)
    rows = (await session.execute(
        select(p).where((p.c.online_end >= now) | p.c.id.in_(live_point)).order_by(p.c.online_start, p.c.authority_code)
    )).all()
    return _NotOver(now, await _with_points_of(session, rows))


async def get_plan(session: AsyncSession, plan_id: str) -> RegistrationPlan | None:
    return await remembered(session, ("plan", plan_id), lambda s: _plan(s, plan_id))


async def _plan(session: AsyncSession, plan_id: str) -> RegistrationPlan | None:
    row = (await session.execute(select(orm.plans).where(orm.plans.c.id == plan_id))).first()
    return (await _with_points_of(session, [row]))[0] if row else None


async def _with_points_of(session: AsyncSession, rows: Sequence[Any]) -> tuple[RegistrationPlan, ...]:
    """The plans of ``rows`` with their points' windows, read in one statement."""
    if not rows:
        return ()
    t = orm.plan_points
    points = (await session.execute(
        select(t).where(t.c.plan_id.in_([row.id for row in rows])).order_by(t.c.plan_id, t.c.point_code)
    )).all()
    windows: dict[str, list[PointWindow]] = defaultdict(list)
    for p in points:
        windows[p.plan_id].append(PointWindow(p.point_code, aware(p.confirm_start), aware(p.confirm_end)))
    return tuple(RegistrationPlan(
        plan_id=row.id, authority_code=row.authority_code, title=row.name,
        online_start=aware(row.online_start), online_end=aware(row.online_end),
        point_windows=tuple(windows[row.id]),
    ) for row in rows)


async def set_point_notes(session: AsyncSession, point_code: str, notes: str) -> None:
    await reference_changed(session)
    t = orm.confirmation_points
    await session.execute(update(t).where(t.c.code == point_code).values(onsite_notes=notes))
