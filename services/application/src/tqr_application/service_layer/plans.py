"""Plans and points (R-PLAN-1, R-STAFF-1): authority admins manage their own authority's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from servicekit.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.adapters.reference_cache import remembered
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.domain.reference import ConfirmationPoint
from tqr_application.domain.roles import Actor, Role
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_authority_admin_of
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.plan_windows import check_definition, current_plan, ensure_has_plan

MAX_NOTES_LENGTH = 2000


@dataclass(frozen=True)
class PlanInput:
    name: str
    online_start: datetime
    online_end: datetime
    points: tuple[PointWindow, ...]

    def plan(self, plan_id: str, authority_code: str) -> RegistrationPlan:
        return RegistrationPlan(plan_id, authority_code, self.name.strip(), self.online_start, self.online_end,
                                self.points)


@dataclass(frozen=True)
class PlanView:
    """A plan with the names a page shows: its authority's and each point's (with its on-site notes)."""

    plan: RegistrationPlan
    authority_name: str
    points: dict[str, tuple[ConfirmationPoint, str]]


async def create_plan(ctx: ServiceContext, actor: Actor, authority_code: str, data: PlanInput) -> RegistrationPlan:
    require_authority_admin_of(actor, authority_code)
    async with ctx.transaction() as session:
        await _check(session, authority_code, data)
        plan = data.plan(str(uuid.uuid4()), authority_code)
        await plans_repo.insert_plan(session, plan, ctx.now())
        await audit.record(session, actor, "CREATE_PLAN", target_type="plan", target_id=plan.plan_id, at=ctx.now(),
                           detail={"points": list(plan.point_codes)})
    return plan


async def update_plan(ctx: ServiceContext, actor: Actor, plan_id: str, data: PlanInput) -> RegistrationPlan:
    async with ctx.transaction() as session:
        existing = await plans_repo.get_plan(session, plan_id)
        if existing is None:
            raise NotFound("PLAN_NOT_FOUND", "找不到该注册计划", "No such plan")
        require_authority_admin_of(actor, existing.authority_code)
        await _check(session, existing.authority_code, data)
        plan = data.plan(plan_id, existing.authority_code)
        await plans_repo.replace_plan(session, plan)
        await audit.record(session, actor, "UPDATE_PLAN", target_type="plan", target_id=plan.plan_id, at=ctx.now(),
                           detail={"points": list(plan.point_codes)})
    return plan


async def list_plans(ctx: ServiceContext, actor: Actor, authority_code: str) -> list[RegistrationPlan]:
    code = authority_code or actor.organisation_code
    if actor.role is not Role.SYSTEM_ADMIN:
        require_authority_admin_of(actor, code)
    async with ctx.reading() as session:
        return await plans_repo.plans_of_authority(session, code)


async def get_authority_plan(ctx: ServiceContext, authority_code: str) -> RegistrationPlan:
    """The plan an applicant would apply to now (R-PLAN-2 when there is none)."""
    async with ctx.reading() as session:
        authority = await ref.get_authority(session, authority_code)
        if authority is None:
            raise NotFound("AUTHORITY_NOT_FOUND", "找不到该注册机构", "No such registration authority")
        plans = await plans_repo.plans_of_authority(session, authority_code)
    return ensure_has_plan(current_plan(plans, ctx.now()), authority.name)


async def current_plans(ctx: ServiceContext) -> list[PlanView]:
    """Plans people may still act on (apply online or confirm on site), soonest first, with their
    names; public dates. One unit of work, and the same view objects while nothing changes (they are
    remembered with the reference data), so a caller may keep what it builds from one. A read
    (``ServiceContext.reading``, no transaction): a visit is then the one read of the reference
    version."""
    async with ctx.reading() as session:
        return [await remembered(session, ("plan view", plan.plan_id), lambda s, plan=plan: _view_in(s, plan))
                for plan in await plans_repo.plans_not_over(session, ctx.now())]


async def view(ctx: ServiceContext, plan: RegistrationPlan) -> PlanView:
    async with ctx.reading() as session:
        return await _view_in(session, plan)


async def _view_in(session: AsyncSession, plan: RegistrationPlan) -> PlanView:
    authority = await ref.get_authority(session, plan.authority_code)
    points = {}
    for code in plan.point_codes:
        found = await ref.get_point(session, code)
        if found:
            points[code] = found
    return PlanView(plan, authority.name if authority else "", points)


async def set_point_notes(ctx: ServiceContext, actor: Actor, point_code: str, notes: str) -> None:
    """现场确认注意事项 (R-APP-4): the point's own staff or its authority's admin."""
    if len(notes) > MAX_NOTES_LENGTH:
        raise InvalidInput([FieldProblem("notes", "R-APP-4", f"不能超过 {MAX_NOTES_LENGTH} 个字",
                                         f"At most {MAX_NOTES_LENGTH} characters")])
    async with ctx.transaction() as session:
        found = await ref.get_point(session, point_code)
        if found is None:
            raise NotFound("POINT_NOT_FOUND", "找不到该现场确认点", "No such confirmation point")
        point, _ = found
        allowed = (actor.role is Role.POINT_STAFF and actor.organisation_code == point.code) or (
            actor.role is Role.AUTHORITY_ADMIN and actor.organisation_code == point.authority_code)
        if not allowed:
            raise PermissionDenied("R-STAFF-4", "只能修改本机构确认点的注意事项",
                                   "You can change only your own point's notes")
        await plans_repo.set_point_notes(session, point_code, notes.strip())
        await audit.record(session, actor, "SET_POINT_NOTES", target_type="point", target_id=point_code,
                           at=ctx.now())


async def _check(session: object, authority_code: str, data: PlanInput) -> None:
    problems: list[FieldProblem] = []
    try:
        check_definition(data.plan("", authority_code))
    except InvalidInput as exc:
        problems.extend(exc.problems)
    own_points = {p.code for p in await ref.list_points(session, authority_code)}  # type: ignore[arg-type]
    for index, window in enumerate(data.points):
        field = f"points[{index}]"
        if window.point_code not in own_points:
            problems.append(FieldProblem(field, "R-PLAN-1", "该确认点不属于本注册机构",
                                         "This point does not belong to the authority"))
    if problems:
        raise InvalidInput(problems, code="R-PLAN-1")
