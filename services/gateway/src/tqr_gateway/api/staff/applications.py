"""JSON API of the application staff (R-STAFF-1, R-STAFF-2, R-APP-4): the same clients and rules
as the console pages. A refusal from a service becomes a problem document in the app's handler."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tqr_gateway.api import application_models as m
from tqr_gateway.api.problems import SERVICE_REFUSALS, api_router
from tqr_gateway.api.staff.common import problem_response
from tqr_gateway.api.staff.models import (
    ActionIn,
    ApplicationOut,
    ApplicationSummaryOut,
    BulkIn,
    BulkItemOut,
    BulkOut,
    ClaimOut,
    DocumentNumberOut,
    EmailIn,
    FindIn,
    FindOut,
    MessageIn,
    MessageOut,
    PrintoutOut,
    ReleasedOut,
    SearchIn,
    SearchOut,
)
from tqr_gateway.clients.staff_application import BulkFilter
from tqr_gateway.clients.workflow_rules import status_name
from tqr_gateway.deps import (
    ApplicationStaff,
    Refused,
    StaffApplications,
    StaffDocuments,
    StaffIdentity,
    Workflow,
    actor_metadata,
)
from tqr_gateway.errors import unavailable_answer
from tqr_gateway.flows import email_correction
from tqr_gateway.flows.printout_versions import PrintoutVersions
from tqr_gateway.flows.staff_lookup import NOTHING_FOUND, look_up
from tqr_gateway.flows.staff_rules import MAX_MESSAGE, Problem, check_action
from tqr_gateway.flows.timestamps import instant

router = api_router("/api/v1/staff", "staff", SERVICE_REFUSALS)


@router.post("/find", response_model=FindOut)
async def find(request: Request, session: ApplicationStaff, applications: StaffApplications,
               documents: StaffDocuments, body: FindIn) -> Any:
    """The search box: application number, document number or form code (verified first)."""
    result = await look_up(body.query, applications=applications,
                           documents=documents, metadata=actor_metadata(session))
    if result.problem is not None and result.problem is not NOTHING_FOUND:
        return problem_response(request, [result.problem], "R-STAFF-2")
    return FindOut(applications=[ApplicationSummaryOut.of(a) for a in result.applications], kind=result.kind,
                   stale_printout=result.stale_printout)


@router.post("/applications/search", response_model=SearchOut)
async def search(request: Request, session: ApplicationStaff, applications: StaffApplications, rules: Workflow,
                 body: SearchIn) -> Any:
    """Lists with filters and keyset pagination (the name travels in the body: personal data)."""
    if body.status and body.status not in rules.statuses:
        return problem_response(request, [Problem("status", "未知的申请状态", "Unknown status")], "R-APP-2")
    found = await applications.search(
        metadata=actor_metadata(session), status=body.status, point_code=body.point_code,
        application_number=body.application_number, applicant_name=body.applicant_name,
        page_size=body.page_size, page_token=body.page_token,
        certificate_conflicts_only=body.certificate_conflicts_only, other_plan_only=body.other_plan_only)
    return SearchOut(applications=[ApplicationSummaryOut.of(a) for a in found.applications],
                     next_page_token=found.next_page_token)


@router.get("/applications/{application_id}", response_model=ApplicationOut)
async def get_application(request: Request, session: ApplicationStaff, applications: StaffApplications,
                          application_id: str) -> Any:
    return ApplicationOut.of(await applications.get(application_id, metadata=actor_metadata(session)))


@router.post("/applications/{application_id}/document-number", response_model=DocumentNumberOut)
async def reveal_document_number(request: Request, session: ApplicationStaff, applications: StaffApplications,
                                 application_id: str) -> Any:
    """R-STAFF-2: the point's staff see the applicant's document number in full (the application
    service refuses other roles and audits the reveal). POST, so that the number is in no URL and
    no cache keeps it."""
    number = await applications.reveal_document_number(application_id, metadata=actor_metadata(session))
    return JSONResponse(DocumentNumberOut(document_number=number).model_dump(), headers={"Cache-Control": "no-store"})


@router.get("/applications/{application_id}/printout", response_model=PrintoutOut)
async def printout(request: Request, session: ApplicationStaff, applications: StaffApplications,
                   documents: StaffDocuments, application_id: str) -> Any:
    """R-APP-8: the form's version now and the one the applicant last downloaded, as the case page
    shows them. The application service decides first whether the caller may see the application."""
    metadata = actor_metadata(session)
    view = await applications.get(application_id, metadata=metadata)
    status = await documents.printout_status(application_id, metadata=metadata)
    if status is None:  # without the documents service the download is unknown: no half answer
        raise Refused(unavailable_answer())
    return PrintoutOut.of(PrintoutVersions.of(status, view))


@router.get("/applications/{application_id}/eligibility", response_model=m.EligibilityReport)
async def eligibility(request: Request, session: ApplicationStaff, applications: StaffApplications,
                      application_id: str) -> Any:
    report = await applications.eligibility(application_id, metadata=actor_metadata(session))
    return m.from_proto(m.EligibilityReport, report)


@router.post("/applications/{application_id}/actions", response_model=ApplicationOut)
async def take_action(request: Request, session: ApplicationStaff, applications: StaffApplications,
                      rules: Workflow, application_id: str, body: ActionIn) -> Any:
    """On-site results (point staff) and decisions (authority admins); adverse ones need a reason."""
    materials = [m.strip() for m in body.missing_materials if m.strip()]
    problems = check_action(body.action, body.reason, materials, rules)
    if problems:
        return problem_response(request, problems, "R-APP-2")
    view = await applications.act(
        application_id, body.action, role=session.role, metadata=actor_metadata(session), reason=body.reason.strip(),
        missing_materials=materials, expected_version=body.expected_version)
    return ApplicationOut.of(view)


@router.post("/applications/{application_id}/messages", response_model=MessageOut, status_code=201)
async def post_message(request: Request, session: ApplicationStaff, applications: StaffApplications,
                       application_id: str, body: MessageIn) -> Any:
    text = body.body.strip()
    if not 0 < len(text) <= MAX_MESSAGE:
        return problem_response(request, [Problem("body", f"请填写留言（不超过 {MAX_MESSAGE} 个字）",
                                                  f"Write a message (at most {MAX_MESSAGE} characters)")], "R-APP-4")
    m = await applications.post_message(application_id, text, metadata=actor_metadata(session))
    return MessageOut(message_id=m.message_id, application_id=m.application_id, author_role=m.author_role,
                      author_org_name=m.author_org_name, body=m.body, created_at=instant(m.created_at))


@router.post("/applications/{application_id}/email", response_model=ApplicationOut)
async def correct_email(request: Request, session: ApplicationStaff, applications: StaffApplications,
                        identity: StaffIdentity, application_id: str, body: EmailIn) -> Any:
    """R-APP-7: the account's email (codes, resets, messages) and the application's copy; both
    addresses are told; audited by both services."""
    email, reason = body.email.strip(), body.reason.strip()
    problems = email_correction.check_input(email, reason)
    if problems:
        return problem_response(request, problems, "R-APP-7")
    view = await email_correction.correct_email(applications, identity, application_id, email, reason,
                                                role=session.role, metadata=actor_metadata(session))
    return ApplicationOut.of(view)


@router.post("/applications/bulk", response_model=BulkOut)
async def bulk_decide(request: Request, session: ApplicationStaff, applications: StaffApplications,
                      rules: Workflow, body: BulkIn) -> Any:
    """R-STAFF-6: one action on many applications (ids, or every one a list filter selects, at most
    500); each is checked by its own rules and gets its own result. Repeat with the same
    idempotency key to get the stored results; nothing is decided twice."""
    materials = [m.strip() for m in body.missing_materials if m.strip()]
    problems = check_action(body.action, body.reason, materials, rules)
    if body.filter is None and not body.application_ids:
        problems.append(Problem("application_ids", "请至少选择一份申请", "Select at least one application"))
    if body.filter is not None and body.filter.status and body.filter.status not in rules.statuses:
        problems.append(Problem("filter.status", "未知的申请状态", "Unknown status"))
    if problems:
        return problem_response(request, problems, "R-STAFF-6")
    where = None if body.filter is None else BulkFilter(
        status=body.filter.status, point_code=body.filter.point_code,
        application_number=body.filter.application_number, applicant_name=body.filter.applicant_name,
        certificate_conflicts_only=body.filter.certificate_conflicts_only,
        other_plan_only=body.filter.other_plan_only)
    reply = await applications.bulk_decide(
        body.action, idempotency_key=body.idempotency_key, application_ids=body.application_ids, where=where,
        reason=body.reason.strip(), missing_materials=materials, metadata=actor_metadata(session))
    return BulkOut(results=[BulkItemOut(application_id=r.application_id, application_number=r.application_number,
                                        ok=r.ok, code=r.code, message_zh=r.message_zh, message_en=r.message_en,
                                        status=status_name(r.status)) for r in reply.results],
                   succeeded=reply.succeeded, refused=reply.refused, replayed=reply.replayed)


@router.post("/applications/{application_id}/claim", response_model=ClaimOut)
async def claim(request: Request, session: ApplicationStaff, applications: StaffApplications,
                application_id: str) -> Any:
    """R-STAFF-6: claim (or renew) an application; refused while someone else's claim lasts."""
    c = await applications.claim(application_id, metadata=actor_metadata(session))
    return ClaimOut(application_id=c.application_id, staff_name=c.staff_name, mine=c.mine,
                    expires_at=instant(c.expires_at))


@router.delete("/applications/{application_id}/claim", response_model=ReleasedOut)
async def release_claim(request: Request, session: ApplicationStaff, applications: StaffApplications,
                        application_id: str) -> Any:
    return ReleasedOut(released=await applications.release_claim(application_id, metadata=actor_metadata(session)))
