"""Typed calls to the application service for the staff console: staff actions, plans, reference data.

Every call carries the staff member's Actor (``metadata``) so the service checks role and
organisation itself (R-STAFF-4); the deadline comes from the channel's interceptor. Errors are never
swallowed: an ``AioRpcError`` reaches the route, which shows the refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from tqr.application.v1 import application_pb2 as ref_pb
from tqr.application.v1 import application_pb2_grpc as ref_rpc
from tqr.application.v1 import plans_pb2 as plans_pb
from tqr.application.v1 import plans_pb2_grpc as plans_rpc
from tqr.application.v1 import staff_pb2 as pb
from tqr.application.v1 import staff_pb2_grpc as rpc
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wizard

from tqr_gateway.clients.workflow_rules import action_code, status_code
from tqr_gateway.vocabulary import POINT_STAFF, Role

Metadata = Sequence[tuple[str, str | bytes]]

# Actions the confirmation point records (RecordOnSiteResult); the rest are the authority's decisions.
ON_SITE_ACTIONS = frozenset({"CONFIRM_ON_SITE", "MARK_MATERIALS_INCOMPLETE", "MARK_WRONG_AUTHORITY",
                             "MARK_NOT_ELIGIBLE"})
DECISION_ACTIONS = frozenset({"APPROVE_REGISTERED", "DEFER", "REJECT", "MARK_NOT_ELIGIBLE",
                              "MARK_WRONG_AUTHORITY"})


@dataclass(frozen=True)
class PointWindowInput:
    point_code: str
    confirm_start: datetime
    confirm_end: datetime


@dataclass(frozen=True)
class PlanInput:
    name: str
    online_start: datetime
    online_end: datetime
    points: tuple[PointWindowInput, ...]


@dataclass(frozen=True)
class SearchPage:
    applications: list[views.ApplicationSummary]
    next_page_token: str


@dataclass(frozen=True)
class BulkFilter:
    """A staff list's filters (R-STAFF-6: "all matching the filter")."""

    status: str = ""
    point_code: str = ""
    application_number: str = ""
    applicant_name: str = ""
    certificate_conflicts_only: bool = False
    other_plan_only: bool = False

    def message(self) -> pb.BulkFilter:
        return pb.BulkFilter(status=status_code(self.status), point_code=self.point_code,
                             application_number=self.application_number, applicant_name=self.applicant_name,
                             certificate_conflicts_only=self.certificate_conflicts_only,
                             other_plan_only=self.other_plan_only)


def timestamp(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def _point_windows(points: Sequence[PointWindowInput]) -> list[plans_pb.PointWindowInput]:
    return [plans_pb.PointWindowInput(point_code=p.point_code, confirm_start=timestamp(p.confirm_start),
                                      confirm_end=timestamp(p.confirm_end)) for p in points]


class StaffApplicationClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._staff = rpc.StaffServiceStub(channel)
        self._plans = plans_rpc.PlanServiceStub(channel)
        self._reference = ref_rpc.ReferenceDataServiceStub(channel)

    # Applications (R-STAFF-1, R-STAFF-2)
    async def find(self, query: str, *, metadata: Metadata) -> list[views.ApplicationSummary]:
        reply = await self._staff.FindApplication(pb.FindApplicationRequest(query=query), metadata=metadata)
        return list(reply.applications)

    async def search(self, *, metadata: Metadata, status: str = "", point_code: str = "",
                     application_number: str = "", applicant_name: str = "", page_size: int = 20,
                     page_token: str = "", certificate_conflicts_only: bool = False,
                     other_plan_only: bool = False) -> SearchPage:
        reply = await self._staff.SearchApplications(pb.SearchApplicationsRequest(
            status=status_code(status), point_code=point_code, application_number=application_number,
            applicant_name=applicant_name, page_size=page_size, page_token=page_token,
            certificate_conflicts_only=certificate_conflicts_only, other_plan_only=other_plan_only),
            metadata=metadata)
        return SearchPage(list(reply.applications), reply.next_page_token)

    async def get(self, application_id: str, *, metadata: Metadata) -> views.ApplicationView:
        reply = await self._staff.GetApplicationForStaff(
            pb.GetApplicationForStaffRequest(application_id=application_id), metadata=metadata)
        return reply.application

    async def reveal_document_number(self, application_id: str, *, metadata: Metadata) -> str:
        """R-STAFF-2: the document number in full for the point's staff (audited); never cache it."""
        reply = await self._staff.RevealDocumentNumber(
            pb.RevealDocumentNumberRequest(application_id=application_id), metadata=metadata)
        return str(reply.document_number)

    async def eligibility(self, application_id: str, *, metadata: Metadata) -> wizard.EligibilityReport:
        reply = await self._staff.CheckEligibilityForStaff(
            pb.CheckEligibilityForStaffRequest(application_id=application_id), metadata=metadata)
        return reply.report

    async def act(self, application_id: str, action: str, *, role: Role, metadata: Metadata, reason: str = "",
                  missing_materials: Sequence[str] = (), expected_version: int = 0) -> views.ApplicationView:
        """A status action: point staff record on-site results, authority admins decide."""
        if role == POINT_STAFF and action in ON_SITE_ACTIONS:
            on_site = await self._staff.RecordOnSiteResult(pb.RecordOnSiteResultRequest(
                application_id=application_id, action=action_code(action), reason=reason,
                missing_materials=list(missing_materials), expected_version=expected_version), metadata=metadata)
            return on_site.application
        decided = await self._staff.DecideApplication(pb.DecideApplicationRequest(
            application_id=application_id, action=action_code(action), reason=reason,
            expected_version=expected_version), metadata=metadata)
        return decided.application

    async def post_message(self, application_id: str, body: str, *, metadata: Metadata) -> views.Message:
        reply = await self._staff.PostMessage(pb.PostMessageRequest(application_id=application_id, body=body),
                                              metadata=metadata)
        return reply.message

    async def correct_email(self, application_id: str, email: str, reason: str, *,
                            metadata: Metadata) -> views.ApplicationView:
        reply = await self._staff.CorrectApplicantEmail(pb.CorrectApplicantEmailRequest(
            application_id=application_id, email=email, reason=reason), metadata=metadata)
        return reply.application

    # Bulk decisions and work claims (R-STAFF-6)
    async def resolve_selection(self, where: BulkFilter, *,
                                metadata: Metadata) -> pb.ResolveBulkSelectionResponse:
        reply: pb.ResolveBulkSelectionResponse = await self._staff.ResolveBulkSelection(
            pb.ResolveBulkSelectionRequest(filter=where.message()), metadata=metadata)
        return reply

    async def bulk_decide(self, action: str, *, idempotency_key: str, metadata: Metadata,
                          application_ids: Sequence[str] = (), where: BulkFilter | None = None, reason: str = "",
                          missing_materials: Sequence[str] = ()) -> pb.BulkDecideResponse:
        """Either ``application_ids`` or every application ``where`` selects."""
        request = pb.BulkDecideRequest(action=action_code(action), reason=reason,
                                       missing_materials=list(missing_materials), idempotency_key=idempotency_key)
        if where is not None:
            request.use_filter = True
            request.filter.CopyFrom(where.message())
        else:
            request.application_ids.extend(application_ids)
        reply: pb.BulkDecideResponse = await self._staff.BulkDecide(request, metadata=metadata)
        return reply

    async def claim(self, application_id: str, *, metadata: Metadata) -> pb.WorkClaim:
        reply = await self._staff.ClaimApplication(pb.ClaimApplicationRequest(application_id=application_id),
                                                   metadata=metadata)
        return reply.claim

    async def release_claim(self, application_id: str, *, metadata: Metadata) -> bool:
        reply = await self._staff.ReleaseApplicationClaim(
            pb.ReleaseApplicationClaimRequest(application_id=application_id), metadata=metadata)
        return bool(reply.released)

    async def claims(self, application_ids: Sequence[str], *, metadata: Metadata) -> dict[str, pb.WorkClaim]:
        """The live claims on these applications, by application id."""
        if not application_ids:
            return {}
        reply = await self._staff.ListWorkClaims(pb.ListWorkClaimsRequest(application_ids=list(application_ids)),
                                                 metadata=metadata)
        return {c.application_id: c for c in reply.claims}

    # Plans and points (R-PLAN-1, R-STAFF-1, R-APP-4 notes)
    async def list_plans(self, *, metadata: Metadata, authority_code: str = "") -> list[views.Plan]:
        reply = await self._plans.ListPlans(plans_pb.ListPlansRequest(authority_code=authority_code),
                                            metadata=metadata)
        return list(reply.plans)

    async def create_plan(self, authority_code: str, plan: PlanInput, *, metadata: Metadata) -> views.Plan:
        reply = await self._plans.CreatePlan(plans_pb.CreatePlanRequest(
            authority_code=authority_code, name=plan.name, online_start=timestamp(plan.online_start),
            online_end=timestamp(plan.online_end), points=_point_windows(plan.points)), metadata=metadata)
        return reply.plan

    async def update_plan(self, plan_id: str, plan: PlanInput, *, metadata: Metadata) -> views.Plan:
        reply = await self._plans.UpdatePlan(plans_pb.UpdatePlanRequest(
            plan_id=plan_id, name=plan.name, online_start=timestamp(plan.online_start),
            online_end=timestamp(plan.online_end), points=_point_windows(plan.points)), metadata=metadata)
        return reply.plan

    async def set_point_notes(self, point_code: str, notes: str, *, metadata: Metadata) -> None:
        await self._plans.SetPointNotes(plans_pb.SetPointNotesRequest(point_code=point_code, notes=notes),
                                        metadata=metadata)

    # Issue 19 item 19: the authority's materials checklist
    async def materials_checklist(self, *, metadata: Metadata,
                                  authority_code: str = "") -> plans_pb.GetMaterialsChecklistResponse:
        """The authority's own checklist or the default; empty code: the caller's authority."""
        return await self._plans.GetMaterialsChecklist(
            plans_pb.GetMaterialsChecklistRequest(authority_code=authority_code), metadata=metadata)

    async def set_materials_checklist(self, items: Sequence[ref_pb.MaterialItem], *,
                                      metadata: Metadata) -> plans_pb.GetMaterialsChecklistResponse:
        return await self._plans.SetMaterialsChecklist(
            plans_pb.SetMaterialsChecklistRequest(items=list(items)), metadata=metadata)

    # Reference data
    async def list_points(self, authority_code: str, *, metadata: Metadata) -> list[ref_pb.ConfirmationPoint]:
        reply = await self._reference.ListConfirmationPoints(
            ref_pb.ListConfirmationPointsRequest(authority_code=authority_code), metadata=metadata)
        return list(reply.points)

    async def point(self, point_code: str, *, metadata: Metadata) -> ref_pb.ConfirmationPoint | None:
        """One point by its code, whichever its authority."""
        reply = await self._reference.ListConfirmationPoints(
            ref_pb.ListConfirmationPointsRequest(point_code=point_code), metadata=metadata)
        return reply.points[0] if reply.points else None

    async def list_authorities(self, *, metadata: Metadata) -> list[ref_pb.Authority]:
        reply = await self._reference.ListAuthorities(ref_pb.ListAuthoritiesRequest(), metadata=metadata)
        return list(reply.authorities)

    async def list_regions(self, *, metadata: Metadata, parent_code: str = "") -> list[ref_pb.Region]:
        reply = await self._reference.ListRegions(ref_pb.ListRegionsRequest(parent_code=parent_code),
                                                  metadata=metadata)
        return list(reply.regions)

    async def code_lists(self, *, metadata: Metadata) -> ref_pb.ListCodeListsResponse:
        reply: ref_pb.ListCodeListsResponse = await self._reference.ListCodeLists(
            ref_pb.ListCodeListsRequest(), metadata=metadata)
        return reply

    async def update_authority(self, code: str, *, name: str, address: str, phone: str,
                               metadata: Metadata) -> ref_pb.Authority:
        reply = await self._reference.UpdateAuthority(ref_pb.UpdateAuthorityRequest(
            code=code, name=name, address=address, phone=phone), metadata=metadata)
        return reply.authority

    async def update_point(self, code: str, *, address: str, phone: str, scope: str,
                           metadata: Metadata) -> ref_pb.ConfirmationPoint:
        reply = await self._reference.UpdateConfirmationPoint(ref_pb.UpdateConfirmationPointRequest(
            code=code, address=address, phone=phone, scope=scope), metadata=metadata)
        return reply.point

    async def rename_code(self, list_name: str, code: str, name: str, *, metadata: Metadata) -> ref_pb.CodeName:
        reply = await self._reference.RenameCode(ref_pb.RenameCodeRequest(list=list_name, code=code, name=name),
                                                 metadata=metadata)
        return reply.entry

    async def import_reference(self, files: dict[str, str], *, dry_run: bool,
                               metadata: Metadata) -> ref_pb.ImportReferenceDataResponse:
        reply: ref_pb.ImportReferenceDataResponse = await self._reference.ImportReferenceData(
            ref_pb.ImportReferenceDataRequest(files=files, dry_run=dry_run), metadata=metadata)
        return reply
