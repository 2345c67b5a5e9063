"""StaffService: find, list, on-site results, decisions, messages, email corrections (R-STAFF-1,2,4)."""

from __future__ import annotations

import grpc
from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_document_number
from servicekit.rpc.actor import actor_of
from tqr.application.v1 import staff_pb2 as pb
from tqr.application.v1 import staff_pb2_grpc as rpc
from tqr.application.v1 import views_pb2 as v
from tqr.common.v1 import audit_pb2

from tqr_application.adapters.claim_repository import Claim
from tqr_application.adapters.search_repository import SearchFilter, SummaryRow
from tqr_application.domain.application import Application
from tqr_application.domain.status import STATUS_INFO, ApplicationStatus, StatusAction
from tqr_application.entrypoints import audit_mapping, eligibility_mapping, mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import audit_log, staff, work
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


def filter_of(request: pb.BulkFilter) -> SearchFilter:
    return SearchFilter(status=status_of(request.status), point_code=request.point_code.strip(),
                        application_number=request.application_number.strip(),
                        applicant_name=request.applicant_name.strip(),
                        certificate_conflicts_only=request.certificate_conflicts_only,
                        other_plan_only=request.other_plan_only)


def claim_of(claim: Claim, caller_id: str) -> pb.WorkClaim:
    return pb.WorkClaim(application_id=claim.application_id, staff_id=claim.staff_id, staff_name=claim.staff_name,
                        organisation_code=claim.staff_org, claimed_at=mappers.ts(claim.claimed_at),
                        expires_at=mappers.ts(claim.expires_at), mine=claim.staff_id == caller_id)


def result_of(item: work.ItemResult) -> pb.BulkItemResult:
    return pb.BulkItemResult(
        application_id=item.application_id, application_number=item.application_number, ok=item.ok,
        code=item.code, message_zh=item.message_zh, message_en=item.message_en,
        status=mappers.status_code(ApplicationStatus(item.status)) if item.status else 0)


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
            certificate_claimed_by_another=r.claimed_by_another, also_in_other_plan=r.in_other_plan)

    async def FindApplication(self, request: pb.FindApplicationRequest,
                              context: grpc.aio.ServicerContext) -> pb.FindApplicationResponse:
        found = await staff.find_application(self.ctx, caller(context), request.query)
        return pb.FindApplicationResponse(applications=[self._summary_of_record(r) for r in found])

    async def SearchApplications(self, request: pb.SearchApplicationsRequest,
                                 context: grpc.aio.ServicerContext) -> pb.SearchApplicationsResponse:
        where = SearchFilter(status=status_of(request.status), point_code=request.point_code.strip(),
                             application_number=request.application_number.strip(),
                             applicant_name=request.applicant_name.strip(),
                             certificate_conflicts_only=request.certificate_conflicts_only,
                             other_plan_only=request.other_plan_only)
        rows, token = await staff.search_applications(self.ctx, caller(context), where, request.page_size,
                                                      request.page_token)
        return pb.SearchApplicationsResponse(applications=[self._summary_of_row(r) for r in rows],
                                             next_page_token=token)

    async def GetApplicationForStaff(self, request: pb.GetApplicationForStaffRequest,
                                     context: grpc.aio.ServicerContext) -> pb.GetApplicationForStaffResponse:
        found = await staff.get_for_staff(self.ctx, caller(context), request.application_id)
        return pb.GetApplicationForStaffResponse(application=mappers.application(found))

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

    async def SearchAuditLog(self, request: audit_pb2.AuditQuery,
                             context: grpc.aio.ServicerContext) -> audit_pb2.AuditPage:
        rows, token = await audit_log.search(self.ctx, caller(context), audit_mapping.query_of(request))
        return audit_mapping.page(rows, token)

    # R-STAFF-6: bulk decisions and work claims
    async def ResolveBulkSelection(self, request: pb.ResolveBulkSelectionRequest,
                                   context: grpc.aio.ServicerContext) -> pb.ResolveBulkSelectionResponse:
        rows = await work.resolve_selection(self.ctx, caller(context), filter_of(request.filter))
        return pb.ResolveBulkSelectionResponse(applications=[self._summary_of_row(r) for r in rows],
                                               max_items=work.MAX_BULK_ITEMS)

    async def BulkDecide(self, request: pb.BulkDecideRequest,
                         context: grpc.aio.ServicerContext) -> pb.BulkDecideResponse:
        outcome = await work.bulk_decide(
            self.ctx, caller(context), action_of(request.action),
            ids=None if request.use_filter else list(request.application_ids),
            where=filter_of(request.filter) if request.use_filter else None, reason=request.reason,
            missing_materials=list(request.missing_materials), key=request.idempotency_key)
        return pb.BulkDecideResponse(results=[result_of(r) for r in outcome.results], replayed=outcome.replayed,
                                     succeeded=outcome.succeeded, refused=outcome.refused)

    async def ClaimApplication(self, request: pb.ClaimApplicationRequest,
                               context: grpc.aio.ServicerContext) -> pb.ClaimApplicationResponse:
        actor = caller(context)
        claim = await work.claim(self.ctx, actor, actor_of(context).display_name, request.application_id)
        return pb.ClaimApplicationResponse(claim=claim_of(claim, actor.subject_id))

    async def ReleaseApplicationClaim(self, request: pb.ReleaseApplicationClaimRequest,
                                      context: grpc.aio.ServicerContext) -> pb.ReleaseApplicationClaimResponse:
        released = await work.release(self.ctx, caller(context), request.application_id)
        return pb.ReleaseApplicationClaimResponse(released=released)

    async def ListWorkClaims(self, request: pb.ListWorkClaimsRequest,
                             context: grpc.aio.ServicerContext) -> pb.ListWorkClaimsResponse:
        actor = caller(context)
        found = await work.live_claims(self.ctx, actor, list(request.application_ids))
        return pb.ListWorkClaimsResponse(claims=[claim_of(c, actor.subject_id) for c in found])
