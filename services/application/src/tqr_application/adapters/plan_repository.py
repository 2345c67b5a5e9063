"""Registration plans and their points' confirmation windows, stored and read as the domain's
``RegistrationPlan``."""

from __future__ import annotations

from datetime import datetime

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
    return tuple([await _with_points(session, row) for row in rows])


async def plans_not_over(session: AsyncSession, now: datetime) -> list[RegistrationPlan]:
    """Every plan whose online window or one of its confirmation windows has not ended at ``now``."""
    p, t = orm.plans, orm.plan_points
    live_point = select(t.c.plan_id).where(t.c.confirm_end >= now)
    rows = (await session.execute(
        select(p).where((p.c.online_end >= now) | p.c.id.in_(live_point)).order_by(p.c.online_start, p.c.authority_code)
    )).all()
    return [await _with_points(session, row) for row in rows]


async def get_plan(session: AsyncSession, plan_id: str) -> RegistrationPlan | None:
    return await remembered(session, ("plan", plan_id), lambda s: _plan(s, plan_id))


async def _plan(session: AsyncSession, plan_id: str) -> RegistrationPlan | None:
    row = (await session.execute(select(orm.plans).where(orm.plans.c.id == plan_id))).first()
    return await _with_points(session, row) if row else None


async def _with_points(session: AsyncSession, row: object) -> RegistrationPlan:
    t = orm.plan_points
    points = (await session.execute(
        select(t).where(t.c.plan_id == row.id).order_by(t.c.point_code)  # type: ignore[attr-defined]
    )).all()
    return RegistrationPlan(
        plan_id=row.id, authority_code=row.authority_code, title=row.name,  # type: ignore[attr-defined]
        online_start=aware(row.online_start), online_end=aware(row.online_end),  # type: ignore[attr-defined]
        point_windows=tuple(PointWindow(p.point_code, aware(p.confirm_start), aware(p.confirm_end)) for p in points),
    )


async def set_point_notes(session: AsyncSession, point_code: str, notes: str) -> None:
    await reference_changed(session)
    t = orm.confirmation_points
    await session.execute(update(t).where(t.c.code == point_code).values(onsite_notes=notes))
