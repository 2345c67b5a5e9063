"""Applicant lists (R-STAFF-2): filters by status, point, application number (typed any way: R-WIZ-11)
and name, to the certificate numbers another applicant also claims (R-WIZ-10) or to those also live
in another plan (R-STAFF-8), with the service's keyset pagination.

Status, point and number travel in the query string; the applicant's name is personal data, so a
list filtered by name is asked for with POST and its next page is a POST too.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import Response
from servicekit import text

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.deps import ApplicationStaff, StaffApplications, Workflow
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN
from tqr_gateway.pages.staff import viewmodels as vm
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


async def _render(request: Request, session: SessionInfo, client: StaffApplicationClient, rules: WorkflowRules,
                  filters: dict[str, str]) -> Response:
    lang = language_of(request)
    md = metadata(session)
    points: list[dict[str, str]] = []
    if AUTHORITY_ADMIN in session.roles:
        points = [{"value": p.code, "text": f"{p.name}（{p.code}）"}
                  for p in await client.list_points(session.organisation_code, metadata=md)]
    status = filters["status"] if filters["status"] in rules.statuses else ""
    rows: list[dict[str, Any]] = []
    next_token, problems = "", []
    try:
        found = await client.search(metadata=md, status=status, point_code=filters["point"],
                                    application_number=text.normalise_number(filters["number"]),
                                    applicant_name=filters["name"], page_size=PAGE_SIZE,
                                    page_token=filters["page_token"],
                                    certificate_conflicts_only=filters["conflicts"] == "1",
                                    other_plan_only=filters["other_plan"] == "1")
        rows = [vm.summary_row(r, lang) for r in found.applications]
        next_token = found.next_page_token
    except grpc.aio.AioRpcError as exc:
        problems = refusal_problems(exc, fallback_field="status")
    errors, field_errors = form_errors(request, problems)
    statuses = [{"value": s, "text": translate(lang, f"staff.status.{s}")} for s in rules.statuses]
    return page(request, session, "staff/list.html", section="staff.nav.lists", context={
        "filters": filters, "statuses": statuses, "points": points, "rows": rows,
        "columns": vm.summary_columns(lang), "next_token": next_token, "errors": errors,
        "field_errors": field_errors, "later_page": bool(filters["page_token"])})


@router.get("/staff/applications")
async def list_get(request: Request, session: ApplicationStaff, applications: StaffApplications, rules: Workflow,
                   status: str = "", point: str = "",
                   number: str = "", page_token: str = "", conflicts: str = "", other_plan: str = "") -> Response:
    filters = {"status": status, "point": point, "number": number.strip(), "name": "", "page_token": page_token,
               "conflicts": conflicts, "other_plan": other_plan}
    return await _render(request, session, applications, rules, filters)


@router.post("/staff/applications")
async def list_post(request: Request, session: ApplicationStaff, applications: StaffApplications,
                    rules: Workflow) -> Response:
    form = await request.form()
    filters = {key: text_of(form, key) for key in ("status", "point", "number", "name", "page_token", "conflicts",
                                                   "other_plan")}
    return await _render(request, session, applications, rules, filters)
