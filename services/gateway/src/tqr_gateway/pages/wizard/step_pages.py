"""/apply and /apply/step/{n}: one topic per page, saved on the server at every "下一步".

The draft lives in the application service, so /apply resumes on any device at the current step.
Every rule is the service's: this module shows its refusals beside the fields, offers its warnings
with "返回修改" / "仍然继续", and moves to the next page when a step is saved.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from servicekit import errors, text
from servicekit.rpc.errors import from_rpc_error
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway.clients.application import ApplicationClient, applicant_identity
from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import Applicant, Applications, Identity, actor_metadata
from tqr_gateway.flows.wizard_draft import draft_of
from tqr_gateway.pages.wizard import forms
from tqr_gateway.pages.wizard.common import (
    CERTIFICATE_STEP,
    MATERIALS_STEP,
    PageErrors,
    materials_saved,
    message_of,
    page_errors,
    reachable,
    resume_path,
    step_names,
)
from tqr_gateway.pages.wizard.step_context import (
    certificate_context,
    point_items,
)
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()
# Step 7 is asked over pages of one topic each: materials_pages.py (/apply/step/7/{part}).
TEMPLATES = {1: "must_read", 2: "terms", 3: "certificate_number", 4: "certificate", 5: "point", 6: "notes"}
MATERIALS_FIRST_PAGE = f"/apply/step/{MATERIALS_STEP}/contact"


def _materials_redirect(return_to: str) -> RedirectResponse:
    return _redirect(MATERIALS_FIRST_PAGE + ("?return_to=check" if return_to == "check" else ""))


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/apply")
async def resume(request: Request, session: Applicant, applications: Applications, identity: Identity) -> Response:
    """Wherever the person is, /apply continues at the current step of the draft on the server."""
    response = await draft_of(applications, identity, session)
    return _redirect(resume_path(response.draft))


@router.post("/apply/new")
async def start_new(request: Request, session: Applicant, applications: Applications, identity: Identity) -> Response:
    """A new application after a submitted one (the service replaces a submitted draft only)."""

    md = actor_metadata(session)
    identity = await applicant_identity(identity, md)
    await applications.start(identity, md)
    return _redirect("/apply")


def initial_values(step: int, draft: wiz.Draft, session: Any) -> dict[str, Any]:
    if step == 2:
        return {"accept": "yes" if draft.terms_accepted else ""}
    if step == 3:
        return {"certificate_number": draft.certificate.certificate_number}
    if step == 4:
        return forms.details_from_draft(draft)
    if step == 5:
        booked = draft.booking.slot.slot_id if draft.HasField("booking") and not draft.booking.needs_rebooking else ""
        return {"point_code": draft.point_code, "slot_id": booked}
    return {}


@router.get("/apply/step/{step}")
async def show_step(request: Request, step: int, session: Applicant, applications: Applications, identity: Identity,
                    return_to: str = "") -> Response:
    if step == MATERIALS_STEP:
        return _materials_redirect(return_to)
    draft = await _page_draft(applications, identity, session, step)
    if draft.submitted or not reachable(draft, step) or step not in TEMPLATES:
        return _redirect(resume_path(draft))
    return await render_step(request, applications, step, draft, initial_values(step, draft, session),
                             PageErrors(), return_to)


async def _page_draft(applications: ApplicationClient, identity: IdentityClient, session: Any, step: int) -> wiz.Draft:
    """The draft to show a step's page with: step 4's shows the registry photo, the others need none."""
    return (await draft_of(applications, identity, session, with_photo=step == CERTIFICATE_STEP)).draft


def back_href(step: int, return_to: str) -> str:
    if return_to == "check":
        return "/apply/check"
    return f"/apply/step/{step - 1}" if step > 1 else "/portal"


async def render_step(request: Request, applications: ApplicationClient, step: int, draft: wiz.Draft,
                      values: dict[str, Any], errors: PageErrors,
                      return_to: str = "", overrides: list[str] | None = None, status_code: int = 200) -> Response:
    context: dict[str, Any] = {
        "step": step, "steps": step_names(request), "draft": draft, "values": values,
        "errors": errors.summary, "field_errors": errors.fields,
        "warning": message_of(request, errors.warning) if errors.warning else "",
        "warning_code": errors.warning.code if errors.warning else "",
        "overrides": overrides or [], "back_href": back_href(step, return_to),
        "return_to": return_to if return_to == "check" else "",
    }
    if step == 1:
        context["seconds_left"] = max(0, int(draft.must_read_seconds_left + 0.999))
    elif step == 4:
        context.update(await certificate_context(request, applications, draft, values))
    elif step == 5:
        context["points"] = point_items(draft.plan, slots=draft.point_slots, lang=language_of(request))
        context["booking"] = draft.booking if draft.HasField("booking") else None
    if errors:  # refused answers: 400, so scripts and tests see the page was not saved
        status_code = 400
    return render(request, f"wizard/{TEMPLATES[step]}.html", context, status_code=status_code)


def build_request(step: int, form: Any) -> tuple[wiz.SaveWizardStepRequest, dict[str, Any]]:
    """Steps 1-6: the step's message and the answers as typed (to show again when refused)."""
    if step == 1:
        return wiz.SaveWizardStepRequest(must_read=wiz.MustReadStep()), {}
    if step == 2:
        accept = forms.text(form, "accept")
        return wiz.SaveWizardStepRequest(terms=wiz.TermsStep(accept=accept == "yes")), {"accept": accept}
    if step == 3:
        number = text.normalise_number(forms.text(form, "certificate_number"))  # R-WIZ-11
        lookup = wiz.CertificateLookupStep(certificate_number=number)
        return wiz.SaveWizardStepRequest(certificate_lookup=lookup), {"certificate_number": number}
    if step == 4:
        details, values = forms.details_from_form(form)
        return wiz.SaveWizardStepRequest(certificate_details=details), values
    if step == 5:
        point, slot = forms.text(form, "point_code"), forms.text(form, "slot_id")
        return (wiz.SaveWizardStepRequest(point=wiz.PointStep(point_code=point, slot_id=slot)),
                {"point_code": point, "slot_id": slot})
    return wiz.SaveWizardStepRequest(notes=wiz.NotesStep(read=True)), {}


def next_path(step: int, saved: wiz.Draft, return_to: str) -> str:
    all_done = materials_saved(saved) and saved.furthest_step >= MATERIALS_STEP
    if all_done and return_to == "check":
        return "/apply/check"
    if saved.furthest_step and saved.furthest_step < step + 1:
        return f"/apply/step/{saved.furthest_step}"  # a later answer was cleared by this change
    return f"/apply/step/{min(step + 1, MATERIALS_STEP)}"


@router.post("/apply/step/{step}")
async def save_step(request: Request, step: int, session: Applicant, applications: Applications,
                    identity: Identity) -> Response:
    form = await request.form()
    return_to = forms.text(form, "return_to")
    if step == MATERIALS_STEP:  # a page of the single step 7 kept open in a tab: its first page now
        return _materials_redirect(return_to)
    if step not in TEMPLATES:
        return _redirect(resume_path((await draft_of(applications, identity, session)).draft))
    message, values = build_request(step, form)
    action = forms.text(form, "action")
    overrides = [o for o in form.getlist("override") if isinstance(o, str) and o]
    decision = forms.text(form, "decision")
    # Changing the page itself (the authority filter) or 返回修改 saves nothing: the page is shown again.
    if (step == 4 and action == "filter") or decision == "back":
        draft = await _page_draft(applications, identity, session, step)
        if not reachable(draft, step):
            return _redirect(resume_path(draft))
        shown_overrides = overrides if decision != "back" else []
        return await render_step(request, applications, step, draft, values, PageErrors(), return_to, shown_overrides)
    if decision == "continue" and forms.text(form, "warning_code"):
        overrides.append(forms.text(form, "warning_code"))
    message.override_warnings.extend(dict.fromkeys(overrides))
    try:
        # Saved without reading the draft first: the service refuses a step that is not reachable
        # or a draft already submitted, and the draft is read only then, to show the page again.
        saved = await applications.save_step(message, actor_metadata(session))
    except grpc.aio.AioRpcError as exc:
        return await _refused(request, applications, identity, session, exc, step, values, return_to, overrides)
    return _redirect(next_path(step, saved.draft, return_to))


async def _refused(request: Request, applications: ApplicationClient, identity: IdentityClient, session: Any,
                   exc: grpc.aio.AioRpcError, step: int, values: dict[str, Any], return_to: str,
                   overrides: list[str]) -> Response:
    """A save the service refused: no draft yet (start it, then continue where it is), a step out of
    reach or a submitted draft (continue where the draft is), or answers to show again with why."""
    refusal = from_rpc_error(exc)
    if isinstance(refusal, errors.NotFound) and refusal.code == "DRAFT_NOT_FOUND":
        return _redirect("/apply")
    draft = await _page_draft(applications, identity, session, step)
    if not reachable(draft, step):
        return _redirect(resume_path(draft))
    shown = page_errors(request, exc, step, [], typed=values)
    return await render_step(request, applications, step, draft, values, shown, return_to, overrides)
