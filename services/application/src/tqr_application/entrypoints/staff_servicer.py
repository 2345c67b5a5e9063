"""StaffService: find, list, on-site results, decisions, messages, email corrections (R-STAFF-1,2,4)."""

from __future__ import annotations

import grpc
from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_document_number
from tqr.application.v1 import staff_pb2 as pb
from tqr.application.v1 import staff_pb2_grpc as rpc
from tqr.application.v1 import views_pb2 as v

from tqr_application.adapters.search_repository import SearchFilter, SummaryRow
from tqr_application.domain.application import Application
from tqr_application.domain.status import STATUS_INFO, ApplicationStatus, StatusAction
from tqr_application.entrypoints import eligibility_mapping, mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import staff
from tqr_application.service_layer.context import ServiceContext


def action_of(code: int) -> StatusAction:
    try:
        action = mappers.action_from(code)
    except ValueError as exc:  # a number this version does not know
        raise InvalidInput([FieldProblem("action", "R-APP-2", "未知的操作", "Unknown action")]) from exc
    if action is None:
        raise InvalidInput([FieldProblem("action", "R-APP-2", "未知的操作", "Unknown action")])
    return action


def status_of(code: int) -> str:
    """The status to filter by; "" (any) when unspecified."""
    try:
        status = mappers.status_from(code)
    except ValueError as exc:
        raise InvalidInput([FieldProblem("status", "R-APP-2", "未知的申请状态", "Unknown status")]) from exc
    return status.value if status is not None else ""


class StaffServicer(rpc.StaffServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def _summary_of_record(self, r: Application) -> v.ApplicationSummary:
        return v.ApplicationSummary(
            application_id=r.id, application_number=r.application_number, applicant_name=r.applicant_name,
            document_number_masked=mask_document_number(r.document_number), status=mappers.status_code(r.status),
            status_label=STATUS_INFO[r.status].label_zh, authority_code=r.authority_code, point_code=r.point_code,
            submitted_at=mappers.ts(r.submitted_at))

    def _summary_of_row(self, r: SummaryRow) -> v.ApplicationSummary:
        status = ApplicationStatus(r.status)
        return v.ApplicationSummary(
            application_id=r.id, application_number=r.application_number, applicant_name=r.applicant_name,
            document_number_masked=mask_document_number(self.ctx.cipher.open(r.document_sealed)),
            status=mappers.status_code(status), status_label=STATUS_INFO[status].label_zh,
            authority_code=r.authority_code, point_code=r.point_code, submitted_at=mappers.ts(r.submitted_at),
            certificate_claimed_by_another=r.claimed_by_another)

    async def FindApplication(self, request: pb.FindApplicationRequest,
                              context: grpc.aio.ServicerContext) -> pb.FindApplicationResponse:
        found = await staff.find_application(self.ctx, caller(context), request.query)
        return pb.FindApplicationResponse(applications=[self._summary_of_record(r) for r in found])

    async def SearchApplications(self, request: pb.SearchApplicationsRequest,
                                 context: grpc.aio.ServicerContext) -> pb.SearchApplicationsResponse:
        where = SearchFilter(status=status_of(request.status), point_code=request.point_code.strip(),
                             application_number=request.application_number.strip(),
                             applicant_name=request.applicant_name.strip(),
                             certificate_conflicts_only=request.certificate_conflicts_only)
        rows, token = await staff.search_applications(self.ctx, caller(context), where, request.page_size,
                                                      request.page_token)
        return pb.SearchApplicationsResponse(applications=[self._summary_of_row(r) for r in rows],
                                             next_page_token=token)

    async def GetApplicationForStaff(self, request: pb.GetApplicationForStaffRequest,
                                     context: grpc.aio.ServicerContext) -> pb.GetApplicationForStaffResponse:
        found = await staff.get_for_staff(self.ctx, caller(context), request.application_id)
        return pb.GetApplicationForStaffResponse(application=mappers.application(found))

    async def RevealDocumentNumber(self, request: pb.RevealDocumentNumberRequest,
                                   context: grpc.aio.ServicerContext) -> pb.RevealDocumentNumberResponse:
        number = await staff.reveal_document_number(self.ctx, caller(context), request.application_id)
        return pb.RevealDocumentNumberResponse(document_number=number)

    async def RecordOnSiteResult(self, request: pb.RecordOnSiteResultRequest,
                                 context: grpc.aio.ServicerContext) -> pb.RecordOnSiteResultResponse:
        found = await staff.change_status(
            self.ctx, caller(context), request.application_id, action_of(request.action),
            allowed=staff.ON_SITE_ACTIONS, reason=request.reason,
            missing_materials=tuple(request.missing_materials), expected_version=request.expected_version)
        return pb.RecordOnSiteResultResponse(application=mappers.application(found))

    async def DecideApplication(self, request: pb.DecideApplicationRequest,
                                context: grpc.aio.ServicerContext) -> pb.DecideApplicationResponse:
        found = await staff.change_status(
            self.ctx, caller(context), request.application_id, action_of(request.action),
            allowed=staff.DECISION_ACTIONS, reason=request.reason, expected_version=request.expected_version)
        return pb.DecideApplicationResponse(application=mappers.application(found))

    async def PostMessage(self, request: pb.PostMessageRequest,
                          context: grpc.aio.ServicerContext) -> pb.PostMessageResponse:
        row = await staff.post_message(self.ctx, caller(context), request.application_id, request.body)
        return pb.PostMessageResponse(message=mappers.message(row))

    async def CorrectApplicantEmail(self, request: pb.CorrectApplicantEmailRequest,
                                    context: grpc.aio.ServicerContext) -> pb.CorrectApplicantEmailResponse:
        found = await staff.correct_email(self.ctx, caller(context), request.application_id, request.email,
                                          request.reason)
        return pb.CorrectApplicantEmailResponse(application=mappers.application(found))

    async def CheckEligibilityForStaff(self, request: pb.CheckEligibilityForStaffRequest,
                                       context: grpc.aio.ServicerContext) -> pb.CheckEligibilityForStaffResponse:
        report = await eligibility_mapping.check_application(self.ctx, caller(context), request.application_id)
        return pb.CheckEligibilityForStaffResponse(report=report)
