"""JSON API: the wizard's draft and steps, submission, the applicant's applications, the form, the inbox.

Same clients and the same rules as the pages; every refusal becomes a problem document (rule id +
message) through the gateway's one error table.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import Response, StreamingResponse
from tqr.application.v1 import applications_pb2 as apps
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway import vocabulary
from tqr_gateway.api import application_models as m
from tqr_gateway.api.problems import SERVICE_REFUSALS, api_router
from tqr_gateway.api.proto_json import json_of
from tqr_gateway.clients.application import ApplicationClient, applicant_identity
from tqr_gateway.deps import (
    Applicant,
    Applications,
    Documents,
    Identity,
    Inbox,
    actor_metadata,
)
from tqr_gateway.flows.downloads import FormFormat, stream_form
from tqr_gateway.flows.wizard_draft import draft_of
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.language import language_of

router = api_router("/api/v1", "applications", SERVICE_REFUSALS)
DRAFT = "/applications/draft"


def _materials(body: m.Materials) -> views.Materials:
    return views.Materials(
        email=body.email, school=body.school, post=body.post, employment_start=body.employment_start,
        work_history=[views.WorkHistoryEntry(**w.model_dump()) for w in body.work_history],
        annual_assessments=[views.AnnualAssessment(**a.model_dump()) for a in body.annual_assessments],
        ethics_assessment=body.ethics_assessment, continuing_education_hours=body.continuing_education_hours,
    )


def _draft_answer(reply: wiz.DraftResponse) -> Response:
    """The draft as the declared ``DraftResponse``, written once, straight from the message (proto_json).
    (Returning the model would have FastAPI dump it, validate it again and dump it once more.)"""
    return Response(json_of(m.DraftResponse, reply), media_type="application/json")


async def _save(applications: ApplicationClient, session: SessionInfo, message: wiz.SaveWizardStepRequest,
                overrides: list[str]) -> Response:
    message.override_warnings.extend(overrides)
    return _draft_answer(await applications.save_step(message, actor_metadata(session)))


# --- the wizard ----------------------------------------------------------------------------------


@router.get(DRAFT, response_model=m.DraftResponse, summary="The draft (started on first call; R-WIZ)")
async def get_draft(request: Request, session: Applicant, applications: Applications, identity: Identity) -> Response:
    return _draft_answer(await draft_of(applications, identity, session))


@router.delete(DRAFT, status_code=204, summary="Discard the draft")
async def discard_draft(request: Request, session: Applicant, applications: Applications) -> Response:
    await applications.discard(actor_metadata(session))
    return Response(status_code=204)


@router.put(f"{DRAFT}/steps/must-read", response_model=m.DraftResponse, summary="Step 1 (R-WIZ-1)")
async def step_must_read(request: Request, session: Applicant, applications: Applications,
                         body: m.MustReadIn) -> Response:
    return await _save(applications, session, wiz.SaveWizardStepRequest(must_read=wiz.MustReadStep()),
                       body.override_warnings)


@router.put(f"{DRAFT}/steps/terms", response_model=m.DraftResponse, summary="Step 2 (R-WIZ-2)")
async def step_terms(request: Request, session: Applicant, applications: Applications, body: m.TermsIn) -> Response:
    return await _save(applications, session, wiz.SaveWizardStepRequest(terms=wiz.TermsStep(accept=body.accept)),
                       body.override_warnings)


@router.put(f"{DRAFT}/steps/certificate-lookup", response_model=m.DraftResponse, summary="Step 3 (R-WIZ-3)")
async def step_lookup(request: Request, session: Applicant, applications: Applications,
                      body: m.CertificateLookupIn) -> Response:
    step = wiz.CertificateLookupStep(certificate_number=body.certificate_number,
                                     document_number=body.document_number)
    return await _save(applications, session, wiz.SaveWizardStepRequest(certificate_lookup=step),
                       body.override_warnings)


@router.put(f"{DRAFT}/steps/certificate-details", response_model=m.DraftResponse, summary="Step 4 (R-WIZ-4)")
async def step_details(request: Request, session: Applicant, applications: Applications,
                       body: m.CertificateDetailsIn) -> Response:
    step = wiz.CertificateDetailsStep(**body.model_dump(exclude={"override_warnings", "gender"}),
                                      gender=vocabulary.gender_of_letter(body.gender))
    return await _save(applications, session, wiz.SaveWizardStepRequest(certificate_details=step),
                       body.override_warnings)


@router.put(f"{DRAFT}/steps/point", response_model=m.DraftResponse, summary="Step 5 (R-WIZ-5)")
async def step_point(request: Request, session: Applicant, applications: Applications, body: m.PointIn) -> Response:
    return await _save(applications, session,
                       wiz.SaveWizardStepRequest(point=wiz.PointStep(point_code=body.point_code, slot_id=body.slot_id)),
                       body.override_warnings)


@router.put(f"{DRAFT}/steps/notes", response_model=m.DraftResponse, summary="Step 6 (R-WIZ-6)")
async def step_notes(request: Request, session: Applicant, applications: Applications, body: m.NotesIn) -> Response:
    return await _save(applications, session, wiz.SaveWizardStepRequest(notes=wiz.NotesStep(read=body.read)),
                       body.override_warnings)


@router.put(f"{DRAFT}/steps/materials", response_model=m.DraftResponse, summary="Step 7 (R-WIZ-7)")
async def step_materials(request: Request, session: Applicant, applications: Applications,
                         body: m.MaterialsIn) -> Response:
    step = wiz.MaterialsStep(materials=_materials(body.materials))
    return await _save(applications, session, wiz.SaveWizardStepRequest(materials=step), body.override_warnings)


@router.post(f"{DRAFT}/go-back", response_model=m.DraftResponse, summary="Return to an earlier step")
async def go_back(request: Request, session: Applicant, applications: Applications, body: m.GoBackIn) -> Response:
    return _draft_answer(await applications.go_back(body.to_step, actor_metadata(session)))


# The wizard's writes, the commonest requests of a peak: answered by api.shortcut where they are plain.
SHORTCUT_ENDPOINTS = (step_must_read, step_terms, step_lookup, step_details, step_point, step_notes, step_materials,
                      go_back)


@router.get(f"{DRAFT}/eligibility", response_model=m.EligibilityReport, summary="Pre-check before submitting")
async def eligibility(request: Request, session: Applicant, applications: Applications) -> m.EligibilityReport:
    return m.from_proto(m.EligibilityReport, await applications.check_eligibility(actor_metadata(session)))


@router.post(f"{DRAFT}/submit", response_model=m.SubmitResult, status_code=201,
             summary="Submit (R-WIZ-8); the same Idempotency-Key gives the same application (R-WIZ-9)")
async def submit(request: Request, session: Applicant, applications: Applications, identity: Identity, body: m.SubmitIn,
                 idempotency_key: Annotated[str, Header(min_length=8, max_length=200)]) -> m.SubmitResult:
    md = actor_metadata(session)
    identity = await applicant_identity(identity, md)
    done = await applications.submit(idempotency_key, identity, body.override_warnings, md)
    return m.from_proto(m.SubmitResult, done)


# --- after submission ----------------------------------------------------------------------------


@router.get("/applications", response_model=m.ApplicationList, summary="My applications")
async def list_applications(request: Request, session: Applicant, applications: Applications) -> m.ApplicationList:
    found = await applications.list_mine(actor_metadata(session))
    return m.ApplicationList(applications=[m.from_proto(m.Application, a) for a in found])


@router.get("/applications/{application_id}", response_model=m.Application, summary="One of my applications")
async def get_application(request: Request, application_id: str, session: Applicant,
                          applications: Applications) -> m.Application:
    return m.from_proto(m.Application, await applications.get_mine(application_id, actor_metadata(session)))


async def _edit(applications: ApplicationClient, session: SessionInfo,
                message: apps.EditApplicationRequest) -> m.EditResult:
    return m.from_proto(m.EditResult, await applications.edit(message, actor_metadata(session)))


@router.put("/applications/{application_id}/certificate", response_model=m.EditResult, summary="R-APP-3")
async def edit_certificate(request: Request, application_id: str, session: Applicant, applications: Applications,
                           body: m.CertificateEditIn) -> m.EditResult:
    edit = apps.CertificateEdit(**body.model_dump(exclude={"expected_version", "gender"}),
                                gender=vocabulary.gender_of_letter(body.gender))
    return await _edit(applications, session, apps.EditApplicationRequest(
        application_id=application_id, expected_version=body.expected_version, certificate=edit))


@router.put("/applications/{application_id}/materials", response_model=m.EditResult, summary="R-APP-3")
async def edit_materials(request: Request, application_id: str, session: Applicant, applications: Applications,
                         body: m.MaterialsEditIn) -> m.EditResult:
    return await _edit(applications, session, apps.EditApplicationRequest(
        application_id=application_id, expected_version=body.expected_version,
        materials=_materials(body.materials)))


@router.put("/applications/{application_id}/email", response_model=m.EditResult, summary="R-APP-3")
async def edit_email(request: Request, application_id: str, session: Applicant, applications: Applications,
                     body: m.EmailEditIn) -> m.EditResult:
    return await _edit(applications, session, apps.EditApplicationRequest(
        application_id=application_id, expected_version=body.expected_version, email=body.email))


@router.put("/applications/{application_id}/point", response_model=m.EditResult, summary="R-APP-6")
async def edit_point(request: Request, application_id: str, session: Applicant, applications: Applications,
                     body: m.PointEditIn) -> m.EditResult:
    return await _edit(applications, session, apps.EditApplicationRequest(
        application_id=application_id, expected_version=body.expected_version, point_code=body.point_code))


@router.put("/applications/{application_id}/teaching", response_model=m.EditResult, summary="R-APP-6")
async def edit_teaching(request: Request, application_id: str, session: Applicant, applications: Applications,
                        body: m.TeachingEditIn) -> m.EditResult:
    return await _edit(applications, session, apps.EditApplicationRequest(
        application_id=application_id, expected_version=body.expected_version, teaching=apps.TeachingEdit(
            teaching_stage_code=body.teaching_stage_code, teaching_subject_code=body.teaching_subject_code)))


@router.post("/applications/{application_id}/correct-authority", response_model=m.Application,
             summary="WRONG_AUTHORITY: another authority and point (R-APP-2)")
async def correct_authority(request: Request, application_id: str, session: Applicant, applications: Applications,
                            body: m.CorrectAuthorityIn) -> m.Application:
    view = await applications.correct_authority(application_id, body.authority_code, body.point_code,
                                                    body.expected_version, actor_metadata(session))
    return m.from_proto(m.Application, view)


@router.post("/applications/{application_id}/withdraw", response_model=m.Application, summary="Withdraw")
async def withdraw(request: Request, application_id: str, session: Applicant, applications: Applications,
                   body: m.WithdrawIn) -> m.Application:
    view = await applications.withdraw(application_id, body.reason, body.expected_version,
                                           actor_metadata(session))
    return m.from_proto(m.Application, view)


@router.post("/applications/{application_id}/materials-ready", response_model=m.Application,
             summary="Tell the point the missing materials are ready (MATERIALS_INCOMPLETE only)")
async def materials_ready(request: Request, application_id: str, session: Applicant, applications: Applications,
                          body: m.MaterialsReadyIn) -> m.Application:
    view = await applications.resubmit_materials(application_id, body.expected_version, actor_metadata(session))
    return m.from_proto(m.Application, view)


@router.get("/applications/{application_id}/messages", response_model=m.Messages, summary="R-APP-4")
async def messages(request: Request, application_id: str, session: Applicant, applications: Applications) -> m.Messages:
    return m.from_proto(m.Messages, await applications.messages(application_id, actor_metadata(session)))


@router.get("/applications/{application_id}/form", response_class=StreamingResponse,
            summary="The application form, PDF or Word (R-APP-5)",
            responses={200: {"content": {"application/pdf": {}, "application/vnd.openxmlformats-officedocument"
                                         ".wordprocessingml.document": {}}}})
async def download_form(request: Request, application_id: str, session: Applicant, documents: Documents,
                        format: FormFormat) -> StreamingResponse:
    return await stream_form(documents, session, application_id, format)


# --- the inbox -----------------------------------------------------------------------------------


@router.get("/inbox/messages", response_model=m.Inbox, summary="My inbox, newest first")
async def inbox(request: Request, session: Applicant, inbox: Inbox, page_token: str = "",
                unread_only: bool = False) -> m.Inbox:
    reply = await inbox.list_messages(
        actor_metadata(session), page_token=page_token, unread_only=unread_only, language=language_of(request))
    return m.from_proto(m.Inbox, reply)


@router.post("/inbox/messages/{message_id}/read", response_model=m.Unread, summary="Mark a message read")
async def mark_read(request: Request, message_id: str, session: Applicant, inbox: Inbox) -> m.Unread:
    unread = await inbox.mark_read(message_id, actor_metadata(session))
    return m.Unread(unread=unread)
