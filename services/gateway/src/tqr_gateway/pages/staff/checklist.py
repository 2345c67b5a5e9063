"""An authority's materials checklist (issue 19 item 19): what point staff tick when materials are
incomplete. Authority admins edit it as one item a line; emptied, it is the default again."""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tqr_gateway.deps import AuthorityAdmin, StaffApplications, Workflow
from tqr_gateway.flows.materials_checklist import as_lines, checklist_for, from_lines
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)


@router.get("/staff/checklist")
async def checklist_page(request: Request, session: AuthorityAdmin, applications: StaffApplications,
                         done: str = "") -> Response:
    found = await applications.materials_checklist(metadata=metadata(session))
    items = found.items
    en = language_of(request) == "en"
    return page(request, session, "staff/checklist.html", section="staff.nav.checklist", context={
        "items": [i.name_en if en else i.name_zh for i in items], "customised": found.customised,
        "lines": as_lines(items), "errors": [], "field_errors": {}, "done": done == "saved"})


@router.post("/staff/checklist")
async def save_checklist(request: Request, session: AuthorityAdmin, applications: StaffApplications,
                         rules: Workflow) -> Response:
    lines = text_of(await request.form(), "lines")
    current = await checklist_for(applications, rules, metadata=metadata(session))
    items, problems = from_lines(lines, current)
    if not problems:
        try:
            await applications.set_materials_checklist(items, metadata=metadata(session))
            return RedirectResponse("/staff/checklist?done=saved", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="lines")
    # Whatever the service found wrong with an item, it is about the one box.
    problems = [p.__class__("lines", p.message_zh, p.message_en) for p in problems]
    errors, field_errors = form_errors(request, problems)
    en = language_of(request) == "en"
    return page(request, session, "staff/checklist.html", section="staff.nav.checklist", status_code=422, context={
        "items": [i.name_en if en else i.name_zh for i in current], "customised": True, "lines": lines,
        "errors": errors, "field_errors": field_errors, "done": False})
