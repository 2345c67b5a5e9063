"""Typed calls to the application service: reference data, the wizard, the applicant's applications.

Every call carries a deadline (the channel's interceptor) and the caller's Actor metadata where the
service needs to know who asks. Errors are never swallowed: an ``AioRpcError`` goes up to the route,
which either shows it beside the form fields or lets the gateway's one error table answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from tqr.application.v1 import application_pb2 as pb
from tqr.application.v1 import application_pb2_grpc as rpc
from tqr.application.v1 import applications_pb2 as apps
from tqr.application.v1 import applications_pb2_grpc as apps_rpc
from tqr.application.v1 import plans_pb2 as plans_pb
from tqr.application.v1 import plans_pb2_grpc as plans_rpc
from tqr.application.v1 import public_pb2 as public_pb
from tqr.application.v1 import public_pb2_grpc as public_rpc
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz
from tqr.application.v1 import wizard_pb2_grpc as wiz_rpc

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.clients.reference_memory import ReferenceAt, ReferenceMemory

Metadata = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class AuthorityView:
    code: str
    name: str
    region_code: str
    address: str
    phone: str


class ApplicationClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._reference = rpc.ReferenceDataServiceStub(channel)
        self._wizard = wiz_rpc.WizardServiceStub(channel)
        self._applicant = apps_rpc.ApplicantServiceStub(channel)
        self._plans = plans_rpc.PlanServiceStub(channel)
        self._public = public_rpc.PublicResultServiceStub(channel)
        self._remembered = ReferenceMemory()

    def reference_at(self, version: int) -> ReferenceAt:
        """Reference answers as of a draft's ``reference_version``, remembered per version
        (clients/reference_memory.py)."""
        return ReferenceAt(self, self._remembered, version)

    # --- reference data ------------------------------------------------------------------------

    async def list_authorities(self, region_code: str = "") -> list[AuthorityView]:
        reply = await self._reference.ListAuthorities(pb.ListAuthoritiesRequest(region_code=region_code))
        return [AuthorityView(a.code, a.name, a.region_code, a.address, a.phone) for a in reply.authorities]

    async def list_regions(self, parent_code: str = "") -> list[pb.Region]:
        reply = await self._reference.ListRegions(pb.ListRegionsRequest(parent_code=parent_code))
        return list(reply.regions)

    async def search_regions(self, text: str, limit: int) -> list[pb.RegionMatch]:
        reply = await self._reference.SearchRegions(pb.SearchRegionsRequest(text=text, limit=limit))
        return list(reply.matches)

    async def list_points(self, authority_code: str) -> list[pb.ConfirmationPoint]:
        reply = await self._reference.ListConfirmationPoints(
            pb.ListConfirmationPointsRequest(authority_code=authority_code))
        return list(reply.points)

    async def current_plans(self) -> list[views.Plan]:
        """Plans still open for applying or confirming, soonest first (public: no actor)."""
        reply = await self._plans.ListCurrentPlans(plans_pb.ListCurrentPlansRequest())
        return list(reply.plans)

    async def check_registration_result(self, certificate_number: str, name: str
                                        ) -> public_pb.CheckRegistrationResultResponse:
        """R-PUB-1, public (no actor): the caller has passed a human check and the rate limit."""
        return await self._public.CheckRegistrationResult(  # type: ignore[no-any-return]
            public_pb.CheckRegistrationResultRequest(certificate_number=certificate_number, name=name))

    async def code_lists(self) -> pb.ListCodeListsResponse:
        return await self._reference.ListCodeLists(pb.ListCodeListsRequest())  # type: ignore[no-any-return]

    # --- the wizard (R-WIZ-1..9) ---------------------------------------------------------------

    async def start(self, identity: views.ApplicantIdentity, md: Metadata) -> wiz.DraftResponse:
        return await self._wizard.StartApplication(  # type: ignore[no-any-return]
            wiz.StartApplicationRequest(identity=identity), metadata=md)

    async def get_draft(self, md: Metadata, *, with_photo: bool = False) -> wiz.DraftResponse:
        return await self._wizard.GetDraft(  # type: ignore[no-any-return]
            wiz.GetDraftRequest(with_photo=with_photo), metadata=md)

    async def save_step(self, request: wiz.SaveWizardStepRequest, md: Metadata) -> wiz.DraftResponse:
        return await self._wizard.SaveWizardStep(request, metadata=md)  # type: ignore[no-any-return]

    async def go_back(self, to_step: int, md: Metadata) -> wiz.DraftResponse:
        return await self._wizard.GoBack(wiz.GoBackRequest(to_step=to_step), metadata=md)  # type: ignore[no-any-return]

    async def discard(self, md: Metadata) -> None:
        await self._wizard.DiscardDraft(wiz.DiscardDraftRequest(), metadata=md)

    async def check_eligibility(self, md: Metadata) -> wiz.EligibilityReport:
        reply = await self._wizard.CheckEligibility(wiz.CheckEligibilityRequest(), metadata=md)
        return reply.report  # type: ignore[no-any-return]

    async def submit(self, idempotency_key: str, identity: views.ApplicantIdentity, overrides: list[str],
                     md: Metadata) -> wiz.SubmitApplicationResponse:
        request = wiz.SubmitApplicationRequest(idempotency_key=idempotency_key, identity=identity,
                                               override_warnings=overrides)
        return await self._wizard.SubmitApplication(request, metadata=md)  # type: ignore[no-any-return]

    # --- after submission (R-APP-1..4) ---------------------------------------------------------

    async def list_mine(self, md: Metadata) -> list[views.ApplicationView]:
        reply = await self._applicant.ListMyApplications(apps.ListMyApplicationsRequest(), metadata=md)
        return list(reply.applications)

    async def get_mine(self, application_id: str, md: Metadata) -> views.ApplicationView:
        reply = await self._applicant.GetMyApplication(
            apps.GetMyApplicationRequest(application_id=application_id), metadata=md)
        return reply.application  # type: ignore[no-any-return]

    async def edit(self, request: apps.EditApplicationRequest, md: Metadata) -> apps.EditApplicationResponse:
        return await self._applicant.EditApplication(request, metadata=md)  # type: ignore[no-any-return]

    async def correct_authority(self, application_id: str, authority_code: str, point_code: str,
                                expected_version: int, md: Metadata) -> views.ApplicationView:
        reply = await self._applicant.CorrectAuthority(apps.CorrectAuthorityRequest(
            application_id=application_id, authority_code=authority_code, point_code=point_code,
            expected_version=expected_version), metadata=md)
        return reply.application  # type: ignore[no-any-return]

    async def withdraw(self, application_id: str, reason: str, expected_version: int,
                       md: Metadata) -> views.ApplicationView:
        reply = await self._applicant.WithdrawApplication(apps.WithdrawApplicationRequest(
            application_id=application_id, reason=reason, expected_version=expected_version), metadata=md)
        return reply.application  # type: ignore[no-any-return]

    async def resubmit_materials(self, application_id: str, expected_version: int,
                                 md: Metadata) -> views.ApplicationView:
        """Issue 19 item 19: the missing papers are ready; the point sees the items marked."""
        reply = await self._applicant.ResubmitMaterials(apps.ResubmitMaterialsRequest(
            application_id=application_id, expected_version=expected_version), metadata=md)
        return reply.application  # type: ignore[no-any-return]

    async def messages(self, application_id: str, md: Metadata) -> apps.ListMessagesResponse:
        return await self._applicant.ListMessages(  # type: ignore[no-any-return]
            apps.ListMessagesRequest(application_id=application_id), metadata=md)

    async def access(self, application_id: str, md: Metadata) -> apps.ListApplicationAccessResponse:
        """R-STAFF-9: which organisation looked at or changed the application, and when (never who)."""
        return await self._applicant.ListApplicationAccess(  # type: ignore[no-any-return]
            apps.ListApplicationAccessRequest(application_id=application_id), metadata=md)


# --- who applies -------------------------------------------------------------------------------

async def applicant_identity(identity: IdentityClient, md: Metadata) -> views.ApplicantIdentity:
    """The ApplicantIdentity that StartApplication and SubmitApplication ask for, from GetAccount.

    The full document number passes through the gateway to the application service (registry
    match, the printed form); the gateway itself never shows or logs it.
    """
    account = await identity.get_account(md)
    return views.ApplicantIdentity(
        account_id=account.account_id, name=account.name, document_type=account.document_type,
        document_number=account.document_number, real_name_verified=account.real_name_status == "VERIFIED",
        gender=account.gender, birth_date=account.birth_date, ethnicity=account.ethnicity,
        mobile_masked=account.masked_mobile,
    )
