"""The check-your-answers page, the submission (idempotent, R-WIZ-9) and the done page (R-WIZ-8)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway import vocabulary
from tqr_gateway.clients.application import ApplicationClient, applicant_identity
from tqr_gateway.clients.reference_memory import ReferenceAt
from tqr_gateway.deps import Applicant, Applications, Identity, actor_metadata
from tqr_gateway.flows.wizard_draft import draft_of
from tqr_gateway.pages.wizard import forms
from tqr_gateway.pages.wizard.common import (
    MATERIALS_STEP,
    PageErrors,
    materials_saved,
    message_of,
    page_errors,
    resume_path,
    step_names,
)
from tqr_gateway.pages.wizard.step_context import slot_label, when
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import format_datetime
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _date(iso: str, lang: str) -> str:
    parts = forms.date_parts(iso)
    if not parts["year"]:
        return ""
    return iso if lang == "en" else f"{parts['year']}年{parts['month']}月{parts['day']}日"


def _window(point: Any, lang: str) -> str:
    """The point's confirmation window, which the printed form states beside its address."""
    start, end = when(point.confirm_start), when(point.confirm_end)
    return f"{format_datetime(start, lang)} – {format_datetime(end, lang)}" if start and end else ""


@dataclass(frozen=True)
class CodeNames:
    """The code lists' names, one map per list: the lists share codes (a stage ``SENIOR_SECONDARY``
    and a certificate type ``SENIOR_SECONDARY``), so one merged map would name a stage by the type."""

    stages: dict[str, str]
    subjects: dict[str, str]
    certificate_types: dict[str, str]


def answer_rows(request: Request, draft: wiz.Draft, names: CodeNames) -> list[dict[str, Any]]:
    """Every answer with a "修改" link to the step that asked it, named as the printed form names it."""
    lang = language_of(request)

    def t(key: str) -> str:
        return translate(lang, key)

    def row(key: str, value: str, step: int, lines: list[str] | None = None, part: str = "") -> dict[str, Any]:
        page = f"{step}/{part}" if part else str(step)  # step 7 is asked over pages of one topic each
        return {"key": t(key), "value": value, "lines": lines, "href": f"/apply/step/{page}?return_to=check"}

    c, m = draft.certificate, draft.materials
    point = next((p for p in draft.plan.points if p.point_code == draft.point_code), None)
    history = [f"{_date(w.start, lang)} – {_date(w.end, lang) or t('wizard.until_now')} {w.school} {w.post}"
               for w in m.work_history]
    assessments = [f"{a.year}：{a.result}" for a in m.annual_assessments]
    return [
        row("wizard.field.certificate_number", c.certificate_number, 3),
        row("wizard.field.holder_name", c.holder_name, 4),
        row("wizard.field.gender", t(f"gender.{vocabulary.gender_code(c.gender)}") if c.gender else "", 4),
        row("wizard.field.birth_date", _date(c.birth_date, lang), 4),
        row("wizard.field.certificate_type_code",
            c.certificate_type_name or names.certificate_types.get(c.certificate_type_code, ""), 4),
        # The form prints 无 when the certificate names no subject; say the same here.
        row("wizard.field.subject_code",
            c.subject_name or names.subjects.get(c.subject_code, "") or t("wizard.no_subject"), 4),
        row("wizard.field.issuing_body", c.issuing_body, 4),
        row("wizard.field.issue_date", _date(c.issue_date, lang), 4),
        row("wizard.field.authority_code", draft.authority_name, 4),
        row("wizard.field.teaching_stage_code",
            names.stages.get(draft.teaching_stage_code, draft.teaching_stage_code), 4),
        row("wizard.field.teaching_subject_code",
            names.subjects.get(draft.teaching_subject_code, draft.teaching_subject_code), 4),
        row("wizard.field.point_code", point.point_name if point else "", 5,
            [line for line in (point.point_name, point.address, _window(point, lang)) if line] if point else None),
        *([row("wizard.field.slot_id", slot_label(draft.booking.slot, lang), 5)]
          if draft.HasField("booking") and not draft.booking.needs_rebooking else []),
        row("wizard.field.email", m.email, MATERIALS_STEP, part="contact"),
        row("wizard.field.school", m.school, MATERIALS_STEP, part="contact"),
        row("wizard.field.post", m.post, MATERIALS_STEP, part="contact"),
        row("wizard.field.employment_start", _date(m.employment_start, lang), MATERIALS_STEP, part="contact"),
        row("wizard.field.work_history", "", MATERIALS_STEP, history, part="history"),
        row("wizard.field.annual_assessments", "", MATERIALS_STEP, assessments, part="assessments"),
        row("wizard.field.ethics_assessment", m.ethics_assessment, MATERIALS_STEP, part="ethics"),
        row("wizard.field.continuing_education_hours", str(m.continuing_education_hours), MATERIALS_STEP,
            part="ethics"),
    ]


async def code_names(reference: ReferenceAt) -> CodeNames:
    codes = await reference.code_lists()
    return CodeNames(stages={c.code: c.name for c in codes.teaching_stages},
                     subjects={c.code: c.name for c in codes.subjects},
                     certificate_types={c.code: c.name for c in codes.certificate_types})


async def render_check(request: Request, applications: ApplicationClient, session: Any, draft: wiz.Draft,
                       errors: PageErrors,
                       idempotency_key: str = "", overrides: list[str] | None = None) -> Response:
    report = await applications.check_eligibility(actor_metadata(session))
    context = {
        "step": MATERIALS_STEP, "steps": step_names(request), "draft": draft,
        "rows": answer_rows(request, draft, await code_names(applications.reference_at(draft.reference_version))),
        "findings": [{"message": message_of(request, f), "blocking": f.blocking} for f in report.findings],
        "eligible": report.eligible, "likely_outcome": report.likely_outcome,
        "errors": errors.summary, "warning": message_of(request, errors.warning) if errors.warning else "",
        "warning_code": errors.warning.code if errors.warning else "",
        "idempotency_key": idempotency_key or uuid.uuid4().hex, "overrides": overrides or [],
        "back_href": f"/apply/step/{MATERIALS_STEP}/summary",
    }
    return render(request, "wizard/check.html", context, status_code=400 if errors else 200)


@router.get("/apply/check")
async def check_answers(request: Request, session: Applicant, applications: Applications,
                        identity: Identity) -> Response:
    draft = (await draft_of(applications, identity, session)).draft
    if draft.submitted or not materials_saved(draft) or draft.furthest_step < MATERIALS_STEP:
        return _redirect(resume_path(draft))
    return await render_check(request, applications, session, draft, PageErrors())


@router.post("/apply/submit")
async def submit(request: Request, session: Applicant, applications: Applications, identity: Identity) -> Response:
    form = await request.form()
    key = forms.text(form, "idempotency_key") or uuid.uuid4().hex
    overrides = [o for o in form.getlist("override") if isinstance(o, str) and o]
    if forms.text(form, "decision") == "continue" and forms.text(form, "warning_code"):
        overrides.append(forms.text(form, "warning_code"))
    md = actor_metadata(session)
    try:
        applicant = await applicant_identity(identity, md)
        done = await applications.submit(key, applicant, list(dict.fromkeys(overrides)), md)
    except grpc.aio.AioRpcError as exc:
        draft = (await draft_of(applications, identity, session)).draft
        if draft.submitted:  # the first click of a double click won: show its result
            return _redirect("/apply/done")
        errors = page_errors(request, exc, MATERIALS_STEP)
        if forms.text(form, "decision") == "back" and errors.warning is not None:
            step = errors.warning.code[6:7] or str(MATERIALS_STEP)
            page = f"{step}/history" if step == str(MATERIALS_STEP) else step  # step 7's warnings: the history
            return _redirect(f"/apply/step/{page}?return_to=check")
        return await render_check(request, applications, session, draft, errors, key, overrides)
    return _redirect(f"/apply/done/{done.application_id}")


@router.get("/apply/done")
async def done_latest(request: Request, session: Applicant, applications: Applications, identity: Identity) -> Response:
    draft = (await draft_of(applications, identity, session)).draft
    if not draft.submitted:
        return _redirect(resume_path(draft))
    for view in await applications.list_mine(actor_metadata(session)):
        if view.application_number == draft.application_number:
            return _redirect(f"/apply/done/{view.application_id}")
    return _redirect("/portal")


@router.get("/apply/done/{application_id}")
async def done(request: Request, application_id: str, session: Applicant, applications: Applications) -> Response:
    """R-WIZ-8: the application number, who, what was applied with, what to do next; never a password."""
    view = await applications.get_mine(application_id, actor_metadata(session))
    context = {
        "application": view, "step": 8, "steps": step_names(request),
        "masked_document_number": view.document_number_masked or session.masked_document_number,
        "confirm_start": when(view.point.confirm_start), "confirm_end": when(view.point.confirm_end),
    }
    return render(request, "wizard/done.html", context)
