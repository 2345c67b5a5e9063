"""Applicant lists (R-STAFF-2): filters by status, point, application number (typed any way: R-WIZ-11)
and name, to the certificate numbers another applicant also claims (R-WIZ-10) or to those also live
in another plan (R-STAFF-8), with the service's keyset pagination.

Status, point and number travel in the query string; the applicant's name is personal data, so a
list filtered by name is asked for with POST and its next page is a POST too.

Each row has a tick box and shows who has claimed it (R-STAFF-6); the bulk form under the table
sends the ticked rows, or the filter itself, to ``bulk``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import Response
from servicekit import text

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.deps import ApplicationStaff, StaffApplications, Workflow
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, Problem
from tqr_gateway.pages.staff import viewmodels as vm
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
FILTER_KEYS = ("status", "point", "number", "name", "conflicts", "other_plan")


def list_href(filters: dict[str, str]) -> str:
    """The list again, with the filters that may travel in a URL (never the name: personal data)."""
    query = {k: filters[k] for k in ("status", "point", "number", "conflicts", "other_plan") if filters.get(k)}
    return "/staff/applications" + (f"?{urlencode(query)}" if query else "")


def bulk_actions(rules: WorkflowRules, session: SessionInfo, lang: str) -> list[dict[str, str]]:
    """The staff actions the caller's role may take (from the served rules)."""
    role = session.role_code
    return [{"value": a, "text": translate(lang, f"staff.action.{a}")}
            for a in rules.staff_actions if role in rules.actions[a].roles]


async def claims_of(client: StaffApplicationClient, session: SessionInfo,
                    application_ids: list[str]) -> dict[str, Any]:
    """The live claims on these applications; none when the look-up fails (they help, never block)."""
    try:
        return await client.claims(application_ids, metadata=metadata(session))
    except grpc.aio.AioRpcError:
        return {}


async def render(request: Request, session: SessionInfo, client: StaffApplicationClient, rules: WorkflowRules,
                 filters: dict[str, str], *, problems: list[Problem] | None = None,
                 bulk_action: str = "") -> Response:
    """The list; ``problems`` from the bulk form (shown in the error summary, status 422)."""
    filters = {"page_token": "", **filters}
    lang = language_of(request)
    md = metadata(session)
    points: list[dict[str, str]] = []
    if AUTHORITY_ADMIN in session.roles:
        points = [{"value": p.code, "text": f"{p.name}（{p.code}）"}
                  for p in await client.list_points(session.organisation_code, metadata=md)]
    status = filters["status"] if filters["status"] in rules.statuses else ""
    rows: list[dict[str, Any]] = []
    next_token, search_problems = "", []
    try:
        found = await client.search(metadata=md, status=status, point_code=filters["point"],
                                    application_number=text.normalise_number(filters["number"]),
                                    applicant_name=filters["name"], page_size=PAGE_SIZE,
                                    page_token=filters["page_token"],
                                    certificate_conflicts_only=filters["conflicts"] == "1",
                                    other_plan_only=filters["other_plan"] == "1")
        claims = await claims_of(client, session, [r.application_id for r in found.applications])
        rows = [vm.summary_row(r, lang, claims.get(r.application_id)) for r in found.applications]
        next_token = found.next_page_token
    except grpc.aio.AioRpcError as exc:
        search_problems = refusal_problems(exc, fallback_field="status")
    errors, field_errors = form_errors(request, [*(problems or []), *search_problems])
    statuses = [{"value": s, "text": translate(lang, f"staff.status.{s}")} for s in rules.statuses]
    return page(request, session, "staff/list.html", section="staff.nav.lists", status_code=422 if problems else 200,
                context={
                    "filters": filters, "statuses": statuses, "points": points, "rows": rows,
                    "columns": vm.summary_columns(lang), "next_token": next_token, "errors": errors,
                    "field_errors": field_errors, "later_page": bool(filters["page_token"]),
                    "bulk_actions": bulk_actions(rules, session, lang), "bulk_action": bulk_action})


@router.get("/staff/applications")
async def list_get(request: Request, session: ApplicationStaff, applications: StaffApplications, rules: Workflow,
                   status: str = "", point: str = "",
                   number: str = "", page_token: str = "", conflicts: str = "", other_plan: str = "") -> Response:
    filters = {"status": status, "point": point, "number": number.strip(), "name": "", "page_token": page_token,
               "conflicts": conflicts, "other_plan": other_plan}
    return await render(request, session, applications, rules, filters)


@router.post("/staff/applications")
async def list_post(request: Request, session: ApplicationStaff, applications: StaffApplications,
                    rules: Workflow) -> Response:
    form = await request.form()
    filters = {key: text_of(form, key) for key in ("status", "point", "number", "name", "page_token", "conflicts",
                                                   "other_plan")}
    return await render(request, session, applications, rules, filters)
