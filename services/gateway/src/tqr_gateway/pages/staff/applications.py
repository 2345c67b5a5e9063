"""On-site confirmation and decisions (R-STAFF-1, R-STAFF-2, R-APP-2): the search box, the
application page with eligibility findings and history, and one page per status action asking
for the reason the applicant will read."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_documents import StaffDocumentsClient
from tqr_gateway.clients.workflow_rules import Material, WorkflowRules, action_names
from tqr_gateway.deps import (
    ApplicationStaff,
    StaffApplications,
    StaffDocuments,
    StaffIdentity,
    Workflow,
)
from tqr_gateway.flows import email_correction
from tqr_gateway.flows.materials_checklist import checklist_for
from tqr_gateway.flows.staff_lookup import look_up
from tqr_gateway.flows.staff_rules import (
    MAX_MESSAGE,
    POINT_STAFF,
    Problem,
    check_action,
    missing_materials,
)
from tqr_gateway.pages.staff import lists
from tqr_gateway.pages.staff import viewmodels as vm
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page, refused_page
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)


@router.post("/staff/find")
async def find(request: Request, session: ApplicationStaff, applications: StaffApplications,
               documents: StaffDocuments) -> Response:
    form = await request.form()
    query = text_of(form, "query")
    result = await look_up(query, applications=applications, documents=documents,
                           metadata=metadata(session))
    if result.single is not None:
        suffix = "?printout=stale" if result.stale_printout else ""
        return RedirectResponse(f"/staff/applications/{result.single.application_id}{suffix}", status_code=303)
    lang = language_of(request)
    errors, field_errors = form_errors(request, [result.problem] if result.problem else [])
    # The query is echoed only into the page body (never a URL): it may be a document number.
    return page(request, session, "staff/find.html", section="staff.nav.home", status_code=422 if errors else 200,
                context={"query": query, "errors": errors, "field_errors": field_errors,
                         "columns": vm.summary_columns(lang),
                         "rows": [vm.summary_row(r, lang) for r in result.applications]})


@router.get("/staff/applications/{application_id}")
async def application_page(request: Request, session: ApplicationStaff, applications: StaffApplications,
                           documents: StaffDocuments, rules: Workflow, application_id: str,
                           done: str = "", printout: str = "") -> Response:
    return await _application_page(request, session, applications, documents, rules, application_id, done,
                                   printout)


@router.post("/staff/applications/{application_id}/document-number")
async def reveal_document_number(request: Request, session: ApplicationStaff, applications: StaffApplications,
                                 documents: StaffDocuments, rules: Workflow, application_id: str) -> Response:
    """R-STAFF-2: the point's staff see the document number in full to compare it with the
    document on site; the application service audits the reveal and refuses other roles. The page
    is never cached (``page`` sends no-store) and the number is in no URL."""
    try:
        number = await applications.reveal_document_number(application_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return await _application_page(request, session, applications, documents, rules, application_id,
                                   revealed=number)


async def _application_page(request: Request, session: SessionInfo, client: StaffApplicationClient,
                            documents: StaffDocumentsClient, rules: WorkflowRules, application_id: str,
                            done: str = "", printout: str = "", revealed: str = "") -> Response:
    md, lang = metadata(session), language_of(request)
    try:
        view = await client.get(application_id, metadata=md)
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    try:
        report = await client.eligibility(application_id, metadata=md)
    except grpc.aio.AioRpcError:
        report = None  # the findings help but never block the page
    claim = (await lists.claims_of(client, session, [application_id])).get(application_id)
    done_text = translate(lang, f"staff.done.{done}") if done in (
        *rules.staff_actions, "MESSAGE", "EMAIL", "CLAIMED", "RELEASED") else ""
    return page(request, session, "staff/application.html", section="staff.nav.home", context={
        "app": vm.application(view, lang), "actions": vm.action_links(view, lang, rules),
        "details": vm.detail_rows(view, lang), "history": vm.history(view, lang),
        "eligibility": vm.eligibility(report, lang), "done": done_text, "stale": printout == "stale",
        "can_correct_email": True,  # R-APP-7: authority and point staff
        "claim": {"text": vm.claim_text(claim, lang), "mine": claim is not None and claim.mine,
                  "other": claim is not None and not claim.mine},
        "can_reveal_document": POINT_STAFF in session.roles, "revealed_document": revealed,
        "printout": vm.printout(await documents.printout_status(application_id, metadata=md), view, lang),
    })


def _action_context(request: Request, rules: WorkflowRules, application_id: str, action: str, number: str,
                    version: int, *, checklist: Sequence[Material] = (), checked: list[str] | None = None,
                    other: str = "", reason: str = "", to_check: Sequence[str] = ()) -> dict[str, object]:
    lang = language_of(request)
    materials = []
    if rules.needs_materials(action):
        materials = [{"value": item.code, "text": item.name_en if lang == "en" else item.name_zh,
                      "checked": item.code in (checked or [])} for item in checklist]
    return {"action": action, "label": translate(lang, f"staff.action.{action}"), "number": number,
            "explain": translate(lang, f"staff.action.{action}.explain"),
            "version": version, "materials": materials, "other_materials": other, "reason": reason,
            "required": rules.needs_reason(action), "adverse": action in vm.ADVERSE,
            "back": f"/staff/applications/{application_id}", "errors": [], "field_errors": {},
            "to_check": list(to_check)}


@router.get("/staff/applications/{application_id}/actions/{action}")
async def action_form(request: Request, session: ApplicationStaff, applications: StaffApplications,
                      rules: Workflow, application_id: str, action: str) -> Response:
    try:
        view = await applications.get(application_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    if action not in action_names(view.allowed_actions) or action not in rules.staff_actions:
        return RedirectResponse(f"/staff/applications/{application_id}", status_code=303)
    checklist = await checklist_for(applications, rules, metadata=metadata(session),
                                    authority_code=view.authority_code) if rules.needs_materials(action) else ()
    # Issue 19 item 19: what was missing is ticked again (the point unticks what it now received).
    missing = list(view.status.missing_materials)
    listed = {item.name_zh: item.code for item in checklist}
    context = _action_context(request, rules, application_id, action, view.application_number, view.version,
                              checklist=checklist, checked=[listed[m] for m in missing if m in listed],
                              other="\n".join(m for m in missing if m not in listed), to_check=missing)
    return page(request, session, "staff/action.html", section="staff.nav.home", context=context)


@router.post("/staff/applications/{application_id}/actions/{action}")
async def take_action(request: Request, session: ApplicationStaff, applications: StaffApplications,
                      rules: Workflow, application_id: str, action: str) -> Response:
    form = await request.form()
    reason, other = text_of(form, "reason"), text_of(form, "other_materials")
    checked = [v for v in form.getlist("materials") if isinstance(v, str)]
    checklist = await checklist_for(applications, rules, metadata=metadata(session)) \
        if rules.needs_materials(action) else ()
    materials = missing_materials(checked, other, checklist) if rules.needs_materials(action) else []
    version = int(text_of(form, "expected_version") or 0) if text_of(form, "expected_version").isdigit() else 0
    problems = check_action(action, reason, materials, rules)
    if not problems:
        try:
            await applications.act(
                application_id, action, role=session.role, metadata=metadata(session), reason=reason,
                missing_materials=materials, expected_version=version)
            return RedirectResponse(f"/staff/applications/{application_id}?done={action}", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc)
    context = _action_context(request, rules, application_id, action, text_of(form, "number"), version,
                              checklist=checklist, checked=checked, other=other, reason=reason)
    context["errors"], context["field_errors"] = form_errors(request, problems)
    return page(request, session, "staff/action.html", section="staff.nav.home", context=context, status_code=422)


@router.get("/staff/applications/{application_id}/message")
async def message_form(request: Request, session: ApplicationStaff, applications: StaffApplications,
                       application_id: str) -> Response:
    try:
        view = await applications.get(application_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return page(request, session, "staff/message.html", section="staff.nav.home", context={
        "number": view.application_number, "body": "", "errors": [], "field_errors": {},
        "back": f"/staff/applications/{application_id}"})


@router.post("/staff/applications/{application_id}/message")
async def post_message(request: Request, session: ApplicationStaff, applications: StaffApplications,
                       application_id: str) -> Response:
    """R-APP-4: a message the applicant reads after signing in."""
    body = text_of(await request.form(), "body")
    problems: list[Problem] = [] if 0 < len(body) <= MAX_MESSAGE else [
        Problem("body", f"请填写留言（不超过 {MAX_MESSAGE} 个字）",
                f"Write a message (at most {MAX_MESSAGE} characters)")]
    if not problems:
        try:
            await applications.post_message(application_id, body, metadata=metadata(session))
            return RedirectResponse(f"/staff/applications/{application_id}?done=MESSAGE", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="body")
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/message.html", section="staff.nav.home", status_code=422, context={
        "number": "", "body": body, "errors": errors, "field_errors": field_errors,
        "back": f"/staff/applications/{application_id}"})


@router.get("/staff/applications/{application_id}/email")
async def email_form(request: Request, session: ApplicationStaff, applications: StaffApplications,
                     application_id: str) -> Response:
    try:
        view = await applications.get(application_id, metadata=metadata(session))
    except grpc.aio.AioRpcError as exc:
        return refused_page(request, session, exc)
    return page(request, session, "staff/email.html", section="staff.nav.home", context={
        "number": view.application_number, "current": view.materials.email, "email": "", "reason": "",
        "errors": [], "field_errors": {}, "back": f"/staff/applications/{application_id}"})


@router.post("/staff/applications/{application_id}/email")
async def correct_email(request: Request, session: ApplicationStaff, applications: StaffApplications,
                        identity: StaffIdentity, application_id: str) -> Response:
    """R-APP-7: authority or point staff correct the applicant's email: the account's (codes, resets,
    messages) and the application's copy; both addresses are told; the reason is audited."""
    form = await request.form()
    email, reason = text_of(form, "email"), text_of(form, "reason")
    problems = email_correction.check_input(email, reason)
    if not problems:
        try:
            await email_correction.correct_email(applications, identity, application_id, email, reason,
                                                 role=session.role, metadata=metadata(session))
            return RedirectResponse(f"/staff/applications/{application_id}?done=EMAIL", status_code=303)
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="email")
    errors, field_errors = form_errors(request, problems)
    return page(request, session, "staff/email.html", section="staff.nav.home", status_code=422, context={
        "number": "", "current": "", "email": email, "reason": reason, "errors": errors,
        "field_errors": field_errors, "back": f"/staff/applications/{application_id}"})
