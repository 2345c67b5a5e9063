"""The staff dashboard (issue 20 part 8): how many applications are in each status at each
authority and point, and how many were submitted and confirmed on each of the last days.

The figures are the application service's SQL aggregates over its own data (not Prometheus), for
the viewer's organisation only: an authority admin sees its authority's points, point staff their
point, a system admin every authority (R-STAFF-4; the service decides the scope from the signed
actor, never from the request). Points that publish appointment slots show their use from today on
(R-SLOT-1). Overdue manual reviews are not here: the identity service offers
no count of them yet (R-STAFF-10).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from tqr.application.v1 import dashboard_pb2 as pb

from tqr_gateway.clients.workflow_rules import WorkflowRules, status_name
from tqr_gateway.deps import StaffDashboard, Workflow, require_staff
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, POINT_STAFF, SYSTEM_ADMIN, Problem
from tqr_gateway.flows.timestamps import instant
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import format_date, format_datetime
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
DashboardViewer = Annotated[SessionInfo, Depends(require_staff(AUTHORITY_ADMIN, POINT_STAFF, SYSTEM_ADMIN))]
DAY_CHOICES: Final = (7, 14, 30)
DEFAULT_DAYS: Final = 14
BAD_DAYS = Problem("days", "请选择 7、14 或 30 天", "Choose 7, 14 or 30 days")


def _status_columns(reply: pb.GetStaffDashboardResponse, rules: WorkflowRules, lang: str) -> list[dict[str, str]]:
    """The statuses that occur in the figures, in the workflow's order."""
    present = {status_name(c.status) for place in reply.authorities for c in place.counts if c.count}
    return [{"code": s, "label": translate(lang, f"staff.status.{s}")} for s in rules.statuses if s in present]


def _row(place: pb.PlaceFigures, columns: list[dict[str, str]], *, point: bool) -> dict[str, Any]:
    counts = {status_name(c.status): c.count for c in place.counts}
    name, code = (place.point_name, place.point_code) if point else (place.authority_name, place.authority_code)
    return {"name": f"{name}（{code}）" if name and name != code else code,
            "authority": f"{place.authority_name}（{place.authority_code}）",
            "counts": [counts.get(c["code"], 0) for c in columns], "total": place.total}


def _day(text: str, lang: str) -> str:
    try:
        return format_date(date.fromisoformat(text), lang)
    except ValueError:
        return text


@router.get("/staff/dashboard")
async def dashboard(request: Request, session: DashboardViewer, client: StaffDashboard, rules: Workflow,
                    days: str = "") -> Response:
    lang = language_of(request)
    problems: list[Problem] = []
    chosen = DEFAULT_DAYS
    if days.strip():
        chosen = int(days) if days.strip().isdigit() and int(days) in DAY_CHOICES else 0
        if not chosen:
            problems.append(BAD_DAYS)
            chosen = DEFAULT_DAYS
    reply = pb.GetStaffDashboardResponse()
    try:
        reply = await client.get(metadata=metadata(session), days=chosen)
    except grpc.aio.AioRpcError as exc:
        problems += refusal_problems(exc, fallback_field="days")
    errors, field_errors = form_errors(request, problems)
    columns = _status_columns(reply, rules, lang)
    return page(request, session, "staff/dashboard.html", section="staff.nav.dashboard",
                status_code=422 if problems else 200, context={
        "errors": errors, "field_errors": field_errors, "days": chosen,
        "day_choices": [{"value": str(n), "text": translate(lang, "staff.dash.days_option", n=n)}
                        for n in DAY_CHOICES],
        "columns": columns, "many_authorities": SYSTEM_ADMIN in session.roles,
        "authorities": [_row(a, columns, point=False) for a in reply.authorities],
        "points": [_row(p, columns, point=True) for p in reply.points],
        "series": [{"date": _day(d.date, lang), "submitted": d.submitted, "confirmed": d.confirmed}
                   for d in reply.days],
        "as_of": format_datetime(instant(reply.as_of), lang) if reply.HasField("as_of") else "",
        "slot_use": [{"name": f"{s.point_name}（{s.point_code}）", "slots": s.slots, "capacity": s.capacity,
                      "booked": s.booked, "free": s.capacity - s.booked} for s in reply.slot_use],
    })
