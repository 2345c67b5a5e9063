"""Changes after submission, where the rules allow them (R-APP-3, R-APP-6): certificate data,
the confirmation point (another of the same plan), 现任教学段 and 现任教学科, current work, email; a
new authority and point after WRONG_AUTHORITY; withdrawal. The service decides; refusals are shown
beside the fields, and a certificate number that is not 15 or 17 digits is the step-3 warning the
applicant corrects or confirms. The application number never changes.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from servicekit import text
from tqr.application.v1 import applications_pb2 as apps

from tqr_gateway import vocabulary
from tqr_gateway.clients.application import ApplicationClient
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.deps import Applicant, Applications, Workflow, actor_metadata
from tqr_gateway.pages.wizard import forms
from tqr_gateway.pages.wizard.common import PageErrors, message_of, page_errors
from tqr_gateway.pages.wizard.step_context import assessment_years_of, materials_context, point_items
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import format_datetime
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()
SECTIONS = ("certificate", "materials", "contact", "point", "teaching")
CERTIFICATE_TEXTS = ("certificate_number", "holder_name", "certificate_type_code", "subject_code", "issuing_body",
                     "gender")


def _version(form: Any) -> int:
    raw = forms.text(form, "version")
    return int(raw) if raw.isdigit() else 0


def _values_from_view(section: str, view: Any, years: list[int]) -> dict[str, Any]:
    if section == "contact":
        return {"email": view.materials.email}
    if section == "materials":
        return forms.materials_values(view.materials, True, years)
    if section == "point":
        return {"point_code": view.point.point_code}
    if section == "teaching":
        return {"teaching_stage_code": view.teaching_stage_code, "teaching_subject_code": view.teaching_subject_code}
    c = view.certificate
    return {"certificate_number": c.certificate_number, "holder_name": c.holder_name,
            "certificate_type_code": c.certificate_type_code, "subject_code": c.subject_code,
            "issuing_body": c.issuing_body, "issue_date": forms.date_parts(c.issue_date),
            "gender": vocabulary.gender_letter(c.gender),
            "birth_date": forms.date_parts(c.birth_date)}


def _edit_request(section: str, form: Any, application_id: str, years: list[int]
                  ) -> tuple[apps.EditApplicationRequest, dict[str, Any]]:
    request = apps.EditApplicationRequest(application_id=application_id, expected_version=_version(form))
    if section == "contact":
        request.email = forms.text(form, "email")
        return request, {"email": request.email}
    if section == "materials":
        materials, values = forms.materials_from_form(form, years)
        request.materials.CopyFrom(materials)
        return request, values
    if section == "point":
        request.point_code = forms.text(form, "point_code")
        return request, {"point_code": request.point_code}
    if section == "teaching":
        teaching = apps.TeachingEdit(teaching_stage_code=forms.text(form, "teaching_stage_code"),
                                     teaching_subject_code=forms.text(form, "teaching_subject_code"))
        request.teaching.CopyFrom(teaching)
        return request, {"teaching_stage_code": teaching.teaching_stage_code,
                         "teaching_subject_code": teaching.teaching_subject_code}
    typed: dict[str, Any] = {name: forms.text(form, name) for name in CERTIFICATE_TEXTS}
    typed["certificate_number"] = text.normalise_number(typed["certificate_number"])  # R-WIZ-11
    issue_date, typed["issue_date"] = forms.date_from_form(form, "issue_date")
    birth_date, typed["birth_date"] = forms.date_from_form(form, "birth_date")
    request.certificate.CopyFrom(apps.CertificateEdit(
        **{name: typed[name] for name in CERTIFICATE_TEXTS if name != "gender"}, issue_date=issue_date,
        birth_date=birth_date, gender=vocabulary.gender_of_letter(typed["gender"]),
        accept_unusual_number=forms.text(form, "decision") == "continue"))
    return request, typed


async def _render_edit(request: Request, applications: ApplicationClient, section: str, view: Any,
                       values: dict[str, Any], errors: PageErrors, years: list[int], rules: WorkflowRules) -> Response:
    context: dict[str, Any] = {"section": section, "application": view, "values": values,
                               "errors": errors.summary, "field_errors": errors.fields, "show_contact": False,
                               **materials_context(years, rules)}
    if errors.warning is not None:
        context["warning"] = message_of(request, errors.warning)
    if section in ("certificate", "teaching"):
        codes = await applications.code_lists()
        context["certificate_types"] = [{"value": c.code, "text": c.name} for c in codes.certificate_types]
        context["subjects"] = [{"value": c.code, "text": c.name} for c in codes.subjects]
        context["stages"] = [{"value": c.code, "text": c.name} for c in codes.teaching_stages]
    if section == "point":
        context["points"] = await _point_choices(request, applications, view)
    status = 400 if errors or errors.warning is not None else 200
    return render(request, "portal/edit.html", context, status_code=status)


async def _point_choices(request: Request, applications: ApplicationClient, view: Any) -> list[dict[str, Any]]:
    """R-APP-6: the points of the application's own plan whose confirmation window has not ended,
    each with its address, window and scope (as at step 5)."""
    lang = language_of(request)
    plan = next((p for p in await applications.current_plans() if p.plan_id == view.plan_id), None)
    items = point_items(plan) if plan is not None else []
    return [{"value": p["value"], "text": p["name"],
             "hint": translate(lang, "wizard.point.item", address=p["address"], phone=p["phone"],
                               start=format_datetime(p["start"], lang), end=format_datetime(p["end"], lang),
                               scope=p["scope"])}
            for p in items if not p["closed"]]


@router.get("/portal/applications/{application_id}/edit/{section}")
async def edit_form(request: Request, application_id: str, section: str, session: Applicant,
                    applications: Applications, rules: Workflow) -> Response:
    view = await applications.get_mine(application_id, actor_metadata(session))
    if section not in SECTIONS:
        return RedirectResponse(f"/portal/applications/{application_id}", status_code=303)
    years = assessment_years_of(rules)
    return await _render_edit(request, applications, section, view, _values_from_view(section, view, years),
                              PageErrors(), years, rules)


@router.post("/portal/applications/{application_id}/edit/{section}")
async def save_edit(request: Request, application_id: str, section: str, session: Applicant,
                    applications: Applications, rules: Workflow) -> Response:
    md = actor_metadata(session)
    client = applications
    if section not in SECTIONS:
        return RedirectResponse(f"/portal/applications/{application_id}", status_code=303)
    form = await request.form()
    years = assessment_years_of(rules)
    message, values = _edit_request(section, form, application_id, years)
    if section == "materials" and forms.change_rows(values, forms.text(form, "action")):
        view = await client.get_mine(application_id, md)
        return await _render_edit(request, applications, section, view, values, PageErrors(), years, rules)
    try:
        reply = await client.edit(message, md)
    except grpc.aio.AioRpcError as exc:
        errors = page_errors(request, exc, step=3 if section == "certificate" else 0, years=years, typed=values)
        view = await client.get_mine(application_id, md)
        return await _render_edit(request, applications, section, view, values, errors, years, rules)
    flag = "registry" if reply.replaced_from_registry else "saved"
    return RedirectResponse(f"/portal/applications/{application_id}?updated={flag}", status_code=303)
