"""Demo data for ``make run``: the demo reference batch and plans relative to today.

Idempotent: a second run finds the data and leaves it. Plans come from ``demo_plan_scenarios``,
so there are open, not-yet-open and closed plans, authorities without a plan, and points with and
without confirmation windows.
"""

from __future__ import annotations

import uuid
from datetime import date

from servicekit import db
from sqlalchemy import func, select

from tqr_application.adapters import orm
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.bootstrap import build_context
from tqr_application.config import ApplicationSettings
from tqr_application.domain.edits import BEIJING
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.reference_data import demo_csv_texts, demo_plan_scenarios
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.reference import import_batch


async def seed_context(ctx: ServiceContext, today: date | None = None) -> str:
    day = today or ctx.now().astimezone(BEIJING).date()
    async with ctx.transaction() as session:
        if await session.scalar(select(func.count()).select_from(orm.authorities)):
            return "application: demo data already present"
        result = await import_batch(session, ctx, demo_csv_texts())
        if not result.ok or result.batch is None:
            raise RuntimeError(f"demo data did not import: {result.errors[:3]}")
        created = 0
        for scenario in demo_plan_scenarios():
            online, windows = scenario.resolve(day)
            if online is None:
                continue
            plan = RegistrationPlan(
                plan_id=str(uuid.uuid4()), authority_code=scenario.authority_code,
                title=f"{day.year}年教师资格定期注册", online_start=online[0], online_end=online[1],
                point_windows=tuple(PointWindow(code, start, end) for code, start, end in windows),
            )
            await plans_repo.insert_plan(session, plan, ctx.now())
            created += 1
    return (f"application: seeded {len(result.batch.regions)} regions, {len(result.batch.authorities)} authorities, "
            f"{len(result.batch.confirmation_points)} points, {len(result.batch.registry_certificates)} registry "
            f"certificates and {created} plans")


async def seed(settings: ApplicationSettings) -> str:
    engine = db.engine_for(settings)
    try:
        return await seed_context(build_context(settings, engine))
    finally:
        await engine.dispose()
