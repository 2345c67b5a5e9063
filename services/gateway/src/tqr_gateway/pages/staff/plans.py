"""Registration plans of the authority admin's own authority (R-PLAN-1, R-STAFF-1): the online
window and each confirmation point's window, entered and shown in Asia/Shanghai time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import views_pb2 as views

from tqr_gateway.clients.staff_application import PlanInput, PointWindowInput, StaffApplicationClient
from tqr_gateway.deps import AuthorityAdmin, StaffApplications
from tqr_gateway.flows.staff_rules import Problem
from tqr_gateway.flows.timestamps import instant
from tqr_gateway.pages.staff.common import (
    form_errors,
    local_input_value,
    metadata,
    parse_local,
    refusal_problems,
    text_of,
)
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.formatting import format_datetime
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)


def _window(start: datetime | None, end: datetime | None, lang: str) -> str:
    return f"{format_datetime(start, lang)} – {format_datetime(end, lang)}" if start and end else ""


@router.get("/staff/plans")
async def plans(request: Request, session: AuthorityAdmin, applications: StaffApplications, done: str = "") -> Response:
    lang = language_of(request)
    found = await applications.list_plans(metadata=metadata(session))
    shown = [{
        "id": p.plan_id, "name": p.name, "authority": p.authority_name,
        "online": _window(instant(p.online_start), instant(p.online_end), lang),
        "points": [{"name": w.point_name, "code": w.point_code,
                    "window": _window(instant(w.confirm_start), instant(w.confirm_end), lang)} for w in p.points],
    } for p in found]
    return page(request, session, "staff/plans.html", section="staff.nav.plans",
                context={"plans": shown, "done": done in ("created", "updated")})


def _form_values(plan: views.Plan | None, points: list[ref_pb.ConfirmationPoint]) -> dict[str, Any]:
    windows = {w.point_code: w for w in plan.points} if plan else {}
    return {
        "name": plan.name if plan else "",
        "online_start": local_input_value(instant(plan.online_start)) if plan else "",
        "online_end": local_input_value(instant(plan.online_end)) if plan else "",
        "points": [{
            "code": p.code, "name": p.name, "included": p.code in windows,
            "start": local_input_value(instant(windows[p.code].confirm_start)) if p.code in windows else "",
            "end": local_input_value(instant(windows[p.code].confirm_end)) if p.code in windows else "",
        } for p in points],
    }


def _read_form(form: Any, points: list[ref_pb.ConfirmationPoint]) -> tuple[dict[str, Any], PlanInput | None,
                                                                            list[Problem]]:
    values: dict[str, Any] = {"name": text_of(form, "name"), "online_start": text_of(form, "online_start"),
                              "online_end": text_of(form, "online_end"), "points": []}
    problems: list[Problem] = []
    if not values["name"]:
        problems.append(Problem("name", "请填写计划名称", "Give the plan a name"))
    start, end = parse_local(values["online_start"]), parse_local(values["online_end"])
    for field, parsed in (("online-start", start), ("online-end", end)):
        if parsed is None:
            problems.append(Problem(field, "请填写日期和时间（北京时间）", "Enter a date and time (Beijing time)"))
    if start and end and end <= start:
        problems.append(Problem("online-end", "网上申报结束时间应晚于开始时间",
                                "The online window must end after it starts"))
    windows: list[PointWindowInput] = []
    for point in points:
        included = form.get(f"include_{point.code}") == "1"
        p_start, p_end = text_of(form, f"start_{point.code}"), text_of(form, f"end_{point.code}")
        values["points"].append({"code": point.code, "name": point.name, "included": included,
                                 "start": p_start, "end": p_end})
        if not included:
            continue
        a, b = parse_local(p_start), parse_local(p_end)
        if a is None or b is None or b <= a:
            problems.append(Problem(f"start-{point.code}", f"{point.name}：请填写有效的确认起止时间（北京时间）",
                                    f"{point.name}: enter a valid confirmation start and end (Beijing time)"))
            continue
        windows.append(PointWindowInput(point.code, a, b))
    if problems or start is None or end is None:
        return values, None, problems
    return values, PlanInput(values["name"], start, end, tuple(windows)), []


async def _points(client: StaffApplicationClient, session: SessionInfo) -> list[ref_pb.ConfirmationPoint]:
    return await client.list_points(session.organisation_code, metadata=metadata(session))


async def _plan(client: StaffApplicationClient, session: SessionInfo, plan_id: str) -> views.Plan | None:
    found = await client.list_plans(metadata=metadata(session))
    return next((p for p in found if p.plan_id == plan_id), None)


def _form_page(request: Request, session: SessionInfo, values: dict[str, Any], *, editing: bool,
               problems: list[Problem] | None = None) -> Response:
    errors, field_errors = form_errors(request, problems or [])
    return page(request, session, "staff/plan_form.html", section="staff.nav.plans",
                status_code=422 if errors else 200,
                context={"values": values, "editing": editing, "errors": errors, "field_errors": field_errors})


@router.get("/staff/plans/new")
async def new_plan(request: Request, session: AuthorityAdmin, applications: StaffApplications) -> Response:
    return _form_page(request, session, _form_values(None, await _points(applications, session)), editing=False)


@router.post("/staff/plans/new")
async def create_plan(request: Request, session: AuthorityAdmin, applications: StaffApplications) -> Response:
    values, plan, problems = _read_form(await request.form(), await _points(applications, session))
    if plan is not None:
        try:
            await applications.create_plan(session.organisation_code, plan, metadata=metadata(session))
            return RedirectResponse("/staff/plans?done=created", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="name")
    return _form_page(request, session, values, editing=False, problems=problems)


@router.get("/staff/plans/{plan_id}/edit")
async def edit_plan(request: Request, session: AuthorityAdmin, applications: StaffApplications,
                    plan_id: str) -> Response:
    plan = await _plan(applications, session, plan_id)
    if plan is None:
        return RedirectResponse("/staff/plans", status_code=303)
    return _form_page(request, session, _form_values(plan, await _points(applications, session)), editing=True)


@router.post("/staff/plans/{plan_id}/edit")
async def update_plan(request: Request, session: AuthorityAdmin, applications: StaffApplications,
                      plan_id: str) -> Response:
    values, plan, problems = _read_form(await request.form(), await _points(applications, session))
    if plan is not None:
        try:
            await applications.update_plan(plan_id, plan, metadata=metadata(session))
            return RedirectResponse("/staff/plans?done=updated", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="name")
    return _form_page(request, session, values, editing=True, problems=problems)
