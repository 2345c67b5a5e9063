"""Bulk decisions and work claims in the console (R-STAFF-6).

From the applicant list: tick applications (or take every one the list's filter selects), choose an
action; then one page asks for what the workflow rules need for that action (a reason, the missing
materials: ``WorkflowRules``, served by the application service), one page shows the count and asks
for confirmation, and the result page lists each application's own result. The confirmation page
carries a fresh idempotency key, so sending the same confirmation again (a reload, a double click)
shows the stored results and decides nothing twice. The application page claims and releases an
application ("由 X 处理中").
"""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from servicekit import text

from tqr_gateway.clients.staff_application import BulkFilter, StaffApplicationClient
from tqr_gateway.clients.workflow_rules import Material, WorkflowRules, status_name
from tqr_gateway.deps import ApplicationStaff, StaffApplications, Workflow
from tqr_gateway.flows.materials_checklist import checklist_for
from tqr_gateway.flows.staff_rules import Problem, check_action, missing_materials
from tqr_gateway.pages.staff import lists
from tqr_gateway.pages.staff import viewmodels as vm
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page, refused_page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
MAX_IDS = 500  # the service's bound; more ids than this are refused by it, clearly


def _filters(form: Any) -> dict[str, str]:
    return {key: text_of(form, key) for key in lists.FILTER_KEYS}


def _where(filters: dict[str, str]) -> BulkFilter:
    return BulkFilter(status=filters["status"], point_code=filters["point"],
                      application_number=text.normalise_number(filters["number"]), applicant_name=filters["name"],
                      certificate_conflicts_only=filters["conflicts"] == "1",
                      other_plan_only=filters["other_plan"] == "1")


def _ids(form: Any) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in form.getlist("ids") if isinstance(v, str) and v.strip()))


async def _checklist(applications: StaffApplicationClient, session: SessionInfo, rules: WorkflowRules,
                     action: str) -> tuple[Material, ...]:
    """The caller's authority's materials checklist (issue 19 item 19), when the action lists materials."""
    if not rules.needs_materials(action):
        return ()
    return await checklist_for(applications, rules, metadata=metadata(session))


def _context(request: Request, rules: WorkflowRules, action: str, ids: list[str], filters: dict[str, str], *,
             checklist: tuple[Material, ...] = (), numbers: list[str] | None = None,
             checked: list[str] | None = None, other: str = "", reason: str = "") -> dict[str, Any]:
    lang = language_of(request)
    materials = [{"value": item.code, "text": item.name_en if lang == "en" else item.name_zh,
                  "checked": item.code in (checked or [])} for item in checklist]
    return {"action": action, "label": translate(lang, f"staff.action.{action}"), "ids": ids,
            "count": len(ids), "numbers": numbers or [], "filters": filters,
            "explain": translate(lang, f"staff.action.{action}.explain"), "materials": materials,
            "other_materials": other, "reason": reason, "required": rules.needs_reason(action),
            "adverse": action in vm.ADVERSE, "back": lists.list_href(filters), "errors": [], "field_errors": {}}


@router.post("/staff/applications/bulk")
async def choose(request: Request, session: ApplicationStaff, applications: StaffApplications,
                 rules: Workflow) -> Response:
    """From the list: the ticked applications (or all the filter selects) and an action."""
    form = await request.form()
    filters, action, lang = _filters(form), text_of(form, "action"), language_of(request)
    problems: list[Problem] = []
    if action not in {a["value"] for a in lists.bulk_actions(rules, session, lang)}:
        problems.append(Problem("bulk-action", "请选择要办理的操作", "Choose the action to take"))
    ids, numbers = _ids(form), []
    if not problems and text_of(form, "scope") == "filter":
        try:
            found = await applications.resolve_selection(_where(filters), metadata=metadata(session))
            ids = [a.application_id for a in found.applications]
            numbers = [a.application_number for a in found.applications]
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="bulk-action")
        if not problems and not ids:
            problems.append(Problem("bulk-action", "没有符合筛选条件的申请", "No application matches the filter"))
    elif not problems and not ids:
        problems.append(Problem("select-all", "请勾选至少一份申请，或选择“对符合筛选条件的全部申请办理”",
                                "Tick at least one application, or choose to act on all that match the filter"))
    if problems:
        return await lists.render(request, session, applications, rules, filters, problems=problems,
                                  bulk_action=action)
    checklist = await _checklist(applications, session, rules, action)
    context = _context(request, rules, action, ids, filters, checklist=checklist, numbers=numbers)
    return page(request, session, "staff/bulk_action.html", section="staff.nav.lists", context=context)


def _inputs(form: Any, rules: WorkflowRules,
            checklist: tuple[Material, ...]) -> tuple[str, list[str], str, list[str], str, list[str]]:
    action, reason, other = text_of(form, "action"), text_of(form, "reason"), text_of(form, "other_materials")
    checked = [v for v in form.getlist("materials") if isinstance(v, str)]
    materials = missing_materials(checked, other, checklist) if rules.needs_materials(action) else []
    return action, _ids(form), reason, materials, other, checked


@router.post("/staff/applications/bulk/confirm")
async def confirm(request: Request, session: ApplicationStaff, applications: StaffApplications,
                  rules: Workflow) -> Response:
    """What the rules need is there: show the count and ask for confirmation."""
    form = await request.form()
    filters = _filters(form)
    checklist = await _checklist(applications, session, rules, text_of(form, "action"))
    action, ids, reason, materials, other, checked = _inputs(form, rules, checklist)
    problems = check_action(action, reason, materials, rules)
    if not ids:
        problems.append(Problem("main", "没有选择申请，请回到名单重新选择",
                                "No application was chosen; go back to the list and choose again"))
    context = _context(request, rules, action, ids, filters, checklist=checklist, checked=checked, other=other,
                       reason=reason)
    if problems:
        context["errors"], context["field_errors"] = form_errors(request, problems)
        return page(request, session, "staff/bulk_action.html", section="staff.nav.lists", context=context,
                    status_code=422)
    context.update({"missing": materials, "key": uuid.uuid4().hex})
    return page(request, session, "staff/bulk_confirm.html", section="staff.nav.lists", context=context)


@router.post("/staff/applications/bulk/run")
async def run(request: Request, session: ApplicationStaff, applications: StaffApplications,
              rules: Workflow) -> Response:
    """Decide each application by its own rules; the same key again returns the stored results."""
    form = await request.form()
    filters, lang = _filters(form), language_of(request)
    action, ids, reason = text_of(form, "action"), _ids(form), text_of(form, "reason")
    materials = [v.strip() for v in form.getlist("missing") if isinstance(v, str) and v.strip()]
    problems = check_action(action, reason, materials, rules)
    if not problems:
        try:
            reply = await applications.bulk_decide(action, idempotency_key=text_of(form, "key"),
                                                   application_ids=ids, reason=reason,
                                                   missing_materials=materials, metadata=metadata(session))
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="main")
        else:
            results = [{"number": r.application_number or r.application_id, "ok": r.ok,
                        "href": f"/staff/applications/{r.application_id}" if r.application_number else "",
                        "status": translate(lang, f"staff.status.{status_name(r.status)}") if r.status else "",
                        "message": r.message_en if lang == "en" else r.message_zh, "code": r.code}
                       for r in reply.results]
            return page(request, session, "staff/bulk_result.html", section="staff.nav.lists", context={
                "label": translate(lang, f"staff.action.{action}"), "results": results,
                "succeeded": reply.succeeded, "refused": reply.refused, "replayed": reply.replayed,
                "back": lists.list_href(filters)})
    context = _context(request, rules, action, ids, filters, reason=reason)
    context["errors"], context["field_errors"] = form_errors(request, problems)
    return page(request, session, "staff/bulk_action.html", section="staff.nav.lists", context=context,
                status_code=422)


# --- claims ----------------------------------------------------------------------------------------

@router.post("/staff/applications/{application_id}/claim")
async def claim(request: Request, session: ApplicationStaff, applications: StaffApplications,
                application_id: str) -> Response:
    try:
        await applications.claim(application_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return RedirectResponse(f"/staff/applications/{application_id}?done=CLAIMED", status_code=303)


@router.post("/staff/applications/{application_id}/release")
async def release(request: Request, session: ApplicationStaff, applications: StaffApplications,
                  application_id: str) -> Response:
    try:
        await applications.release_claim(application_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return RedirectResponse(f"/staff/applications/{application_id}?done=RELEASED", status_code=303)
