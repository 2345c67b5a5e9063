"""/apply/step/7/{part}: step 7 (申请材料, R-WIZ-7) asked over four pages of one topic each (UI.md),
then a short summary of the step before the check page.

There is one draft, the application service's, and its materials step is saved as a whole section:
the service checks every field of it together (and the contract, the JSON API's one materials PUT,
stays as it is). So each page sends the whole section — the draft's saved answers (or, on the
first walk through the step, the earlier pages' answers carried in hidden fields) with this page's
part replaced — and the service answers for every field:

* refused on this page's fields (or on an earlier page's): the errors are shown on the page they
  belong to (error summary + beside the field), nothing is saved;
* refused only on later pages' fields (they are not asked yet, first walk only): this page is right;
  the next page is shown with the answers so far (a 307 re-posts them to the next page's address);
* accepted: the draft holds the section; the next page, the summary, or the check page follows.

Once the step has been saved, every page saves its part at once and the other parts come from the
draft, never from the hidden fields of a page that may be stale.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.deps import Applicant, Applications, Identity, Workflow, actor_metadata
from tqr_gateway.flows.wizard_draft import draft_of
from tqr_gateway.pages.wizard import forms
from tqr_gateway.pages.wizard.common import (
    MATERIALS_STEP,
    PageErrors,
    materials_saved,
    message_of,
    page_errors,
    reachable,
    resume_path,
    step_names,
)
from tqr_gateway.pages.wizard.step_context import assessment_years_of, materials_context
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()
PARTS = list(forms.MATERIALS_PARTS)  # contact, history, assessments, ethics: in the order asked
SUMMARY = "summary"
STEP_PATH = f"/apply/step/{MATERIALS_STEP}"
HISTORY_WARNING = f"R-WIZ-{MATERIALS_STEP}-"  # the materials step's warnings are about the work history


def part_path(part: str, return_to: str = "") -> str:
    path = f"{STEP_PATH}/{part}"
    return f"{path}?return_to={return_to}" if return_to in ("check", SUMMARY) else path


def _redirect(path: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(path, status_code=status_code)


def _return_to(value: str) -> str:
    return value if value in ("check", SUMMARY) else ""


def _back_href(part: str, return_to: str) -> str:
    if return_to == "check":
        return "/apply/check"
    if return_to == SUMMARY:
        return part_path(SUMMARY)
    if part == SUMMARY:
        return part_path(PARTS[-1])
    return f"/apply/step/{MATERIALS_STEP - 1}"


async def render_part(request: Request, part: str, draft: wiz.Draft, values: dict[str, Any], errors: PageErrors, *,
                      rules: WorkflowRules, return_to: str = "", overrides: list[str] | None = None,
                      focus_row: int | None = None) -> Response:
    lang = language_of(request)
    steps = step_names(request)
    context: dict[str, Any] = {
        "step": MATERIALS_STEP, "steps": steps, "draft": draft, "values": values, "part": part,
        "errors": errors.summary, "field_errors": errors.fields,
        "warning": message_of(request, errors.warning) if errors.warning else "",
        "warning_code": errors.warning.code if errors.warning else "",
        "overrides": overrides or [], "back_href": _back_href(part, return_to), "return_to": return_to,
        "form_action": part_path(part), "focus_row": focus_row,
    }
    if part == SUMMARY:
        context["part_number"] = 0
        context["position"] = translate(lang, "wizard.materials.position_summary", current=MATERIALS_STEP,
                                        total=len(steps))
        context["summary"] = summary_groups(request, draft)
    else:
        context["part_number"] = PARTS.index(part) + 1
        context["position"] = translate(lang, "wizard.materials.position", current=MATERIALS_STEP, total=len(steps),
                                        part=PARTS.index(part) + 1, parts=len(PARTS))
        context.update(materials_context(assessment_years_of(rules), rules))
    status_code = 400 if errors else 200  # refused answers: 400, so scripts and tests see nothing was saved
    return render(request, f"wizard/materials_{part}.html", context, status_code=status_code)


def summary_groups(request: Request, draft: wiz.Draft) -> list[dict[str, Any]]:
    """The saved section, one group per page, each with a "修改" link back to that page."""
    lang = language_of(request)

    def t(key: str) -> str:
        return translate(lang, key)

    def day(iso: str) -> str:  # as the check page writes dates
        parts = forms.date_parts(iso)
        if not parts["year"] or lang == "en":
            return iso
        return f"{parts['year']}年{parts['month']}月{parts['day']}日"

    m = draft.materials
    history = [f"{day(w.start)} – {day(w.end) or t('wizard.until_now')} {w.school} {w.post}" for w in m.work_history]
    rows: dict[str, list[tuple[str, str, list[str] | None]]] = {
        "contact": [("wizard.field.email", m.email, None), ("wizard.field.school", m.school, None),
                    ("wizard.field.post", m.post, None),
                    ("wizard.field.employment_start", day(m.employment_start), None)],
        "history": [("wizard.field.work_history", "", history)],
        "assessments": [("wizard.field.annual_assessments", "",
                         [f"{a.year}：{a.result}" for a in m.annual_assessments])],
        "ethics": [("wizard.field.ethics_assessment", m.ethics_assessment, None),
                   ("wizard.field.continuing_education_hours", str(m.continuing_education_hours), None)],
    }
    return [{"title": t(f"wizard.materials.part.{part}"), "href": part_path(part, SUMMARY),
             "rows": [{"key": t(key), "value": value, "lines": lines} for key, value, lines in rows[part]]}
            for part in PARTS]


def errors_by_part(errors: PageErrors, current: str) -> dict[str, PageErrors]:
    """Each refusal on the page whose field it names; what names no field of step 7 on this page."""
    found: dict[str, PageErrors] = {}
    for key, message in errors.fields.items():
        found.setdefault(forms.part_of_key(key) or current, PageErrors()).add(key, message)
    for entry in errors.summary:
        if entry["field"] == "main":
            found.setdefault(current, PageErrors()).add_general(entry["message"])
    return found


async def _draft(applications: Any, identity: Any, session: Any) -> wiz.Draft:
    return (await draft_of(applications, identity, session)).draft


@router.get(STEP_PATH + "/{part}")
async def show_part(request: Request, part: str, session: Applicant, applications: Applications, identity: Identity,
                    rules: Workflow, return_to: str = "") -> Response:
    draft = await _draft(applications, identity, session)
    if draft.submitted or not reachable(draft, MATERIALS_STEP):
        return _redirect(resume_path(draft))
    if part not in PARTS and part != SUMMARY:
        return _redirect(part_path(PARTS[0]))
    if part != PARTS[0] and not materials_saved(draft):  # the earlier pages' answers are not on the server yet
        return _redirect(part_path(PARTS[0]))
    account_email = ""
    if not draft.materials.email:
        # R-APP-7: the email is the account's (codes, resets, messages go there); offered, still editable.
        account_email = (await identity.get_account(actor_metadata(session))).email
    values = forms.materials_from_draft(draft, assessment_years_of(rules), account_email)
    return await render_part(request, part, draft, values, PageErrors(), rules=rules, return_to=_return_to(return_to))


@router.post(STEP_PATH + "/{part}")
async def save_part(request: Request, part: str, session: Applicant, applications: Applications, identity: Identity,
                    rules: Workflow) -> Response:
    form = await request.form()
    draft = await _draft(applications, identity, session)
    if draft.submitted or not reachable(draft, MATERIALS_STEP):
        return _redirect(resume_path(draft))
    saved_before = materials_saved(draft)
    if part == SUMMARY:
        return _redirect("/apply/check" if saved_before else part_path(PARTS[0]))
    if part not in PARTS:
        return _redirect(part_path(PARTS[0]))
    years = assessment_years_of(rules)
    return_to = _return_to(forms.text(form, "return_to"))
    _, typed = forms.materials_from_form(form, years)
    values = forms.with_part(forms.materials_from_draft(draft, years), typed, part) if saved_before else typed
    index = PARTS.index(part)
    action = forms.text(form, "action")
    decision = forms.text(form, "decision")

    async def show(errors: PageErrors | None = None, *, on: str = part, overrides: list[str] | None = None,
                   focus_row: int | None = None) -> Response:
        return await render_part(request, on, draft, values, errors if errors is not None else PageErrors(),
                                 rules=rules, return_to=return_to, overrides=overrides, focus_row=focus_row)

    def carry_to(other: str) -> Response:
        """Another page with the answers so far: saved ones from the draft, else re-posted (307)."""
        if saved_before:
            return _redirect(part_path(other, return_to))
        return _redirect(f"{part_path(other)}?show=1", status_code=307)

    if request.query_params.get("show") == "1":  # arrived from the page before or after: nothing to save
        return await show()
    if action == "back":
        first_or_sent = index == 0 or return_to  # from the summary or the check page: back there
        return _redirect(_back_href(part, return_to)) if first_or_sent else carry_to(PARTS[index - 1])
    if part == "history" and forms.change_rows(values, action):  # 添加一行 / 删除: the page again, saved nothing
        rows = len(values["history"])
        removed = action.removeprefix("remove_row_")
        focus = rows - 1 if action == "add_row" else min(int(removed), rows - 1)
        return await show(focus_row=focus)
    if decision == "back":  # 返回修改 on a warning (the work history's): to the history page, nothing saved
        return await show() if part == "history" else carry_to("history")

    overrides = [o for o in form.getlist("override") if isinstance(o, str) and o]
    if decision == "continue" and forms.text(form, "warning_code"):
        overrides.append(forms.text(form, "warning_code"))
    if part != "history":  # a warning about the history, already accepted, still holds when it is unchanged
        overrides += [w for w in draft.overridden_warnings if w.startswith(HISTORY_WARNING)]
    overrides = list(dict.fromkeys(overrides))
    message = wiz.SaveWizardStepRequest(materials=wiz.MaterialsStep(materials=forms.materials_message(values, years)),
                                        override_warnings=overrides)
    try:
        saved = await applications.save_step(message, actor_metadata(session))
    except grpc.aio.AioRpcError as exc:
        errors = page_errors(request, exc, MATERIALS_STEP, years, typed=values)
        if errors.warning:
            return await show(errors, overrides=overrides)
        by_part = errors_by_part(errors, part)
        asked = [p for p in PARTS[:index + 1] if p in by_part]
        if asked:
            return await show(by_part[asked[0]], on=asked[0], overrides=overrides)
        if not saved_before and index + 1 < len(PARTS):
            return carry_to(PARTS[index + 1])  # only pages not asked yet are missing: on to the next one
        first = next(p for p in PARTS if p in by_part)
        return await show(by_part[first], on=first, overrides=overrides)
    if return_to == "check" and materials_saved(saved.draft):
        return _redirect("/apply/check")
    if return_to == SUMMARY or index + 1 == len(PARTS):
        return _redirect(part_path(SUMMARY))
    return _redirect(part_path(PARTS[index + 1], return_to))
