"""The application service over gRPC: the form data (as SYSTEM, signed with the documents service's
own key), staff scopes and staff lists (with the staff member's signed actor forwarded as the gateway
signed it, so that service applies its own R-STAFF-4 checks)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import grpc
from servicekit import errors
from servicekit.rpc.actor import ActorSigner, forwarded_actor
from servicekit.rpc.client import open_channel
from servicekit.rpc.errors import from_rpc_error
from servicekit.rpc.tls import TlsFiles
from tqr.application.v1 import (
    application_pb2,
    application_pb2_grpc,
    form_pb2,
    form_pb2_grpc,
    staff_pb2,
    staff_pb2_grpc,
    views_pb2,
)
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_SYSTEM

from tqr_documents.adapters.form_mapping import snapshot_of
from tqr_documents.domain.access import Caller
from tqr_documents.domain.point_export import PointExportRow
from tqr_documents.service_layer.ports import FormRevision, FormSnapshot

FORM_SERVICE = "tqr.application.v1.FormDataService"
STAFF_SERVICE = "tqr.application.v1.StaffService"
REFERENCE_SERVICE = "tqr.application.v1.ReferenceDataService"
SYSTEM_ACTOR = Actor(subject_id="documents", role=ROLE_SYSTEM, display_name="documents service")
PAGE_SIZE = 200
# Parallel form-data reads while filling export rows; keeps the application service unhurried.
EXPORT_CONCURRENCY = 8

T = TypeVar("T")


class GrpcApplicationSource:
    """Staff calls carry the assertion of the call being handled (``forwarded_actor``; ``caller`` was
    read from it): a service cannot sign for a person, so it passes the gateway's signature on."""

    def __init__(self, addresses: str, signer: ActorSigner, timeout_seconds: float = 5.0,
                 tls: TlsFiles | None = None) -> None:
        self._signer = signer
        self._form_channel = open_channel(
            addresses, FORM_SERVICE, idempotent_methods=["GetApplicationForForm", "GetFormRevision"],
            timeout_seconds=timeout_seconds, tls=tls,
        )
        self._staff_channel = open_channel(
            addresses, STAFF_SERVICE, idempotent_methods=["SearchApplications"], timeout_seconds=timeout_seconds,
            tls=tls,
        )
        self._reference_channel = open_channel(
            addresses, REFERENCE_SERVICE, idempotent_methods=["ListConfirmationPoints"],
            timeout_seconds=timeout_seconds, tls=tls,
        )
        self._forms = form_pb2_grpc.FormDataServiceStub(self._form_channel)
        self._staff = staff_pb2_grpc.StaffServiceStub(self._staff_channel)
        self._reference = application_pb2_grpc.ReferenceDataServiceStub(self._reference_channel)

    async def close(self) -> None:
        for channel in (self._form_channel, self._staff_channel, self._reference_channel):
            await channel.close()

    async def form_data(self, application_id: str = "", application_number: str = "") -> FormSnapshot:
        request = form_pb2.GetApplicationForFormRequest(
            application_id=application_id, application_number=application_number
        )
        system = self._signer.metadata_for(SYSTEM_ACTOR)
        response = await _call(lambda: self._forms.GetApplicationForForm(request, metadata=system))
        return snapshot_of(response)

    async def form_revision(self, application_id: str) -> FormRevision:
        request = form_pb2.GetFormRevisionRequest(application_id=application_id)
        system = self._signer.metadata_for(SYSTEM_ACTOR)
        response = await _call(lambda: self._forms.GetFormRevision(request, metadata=system))
        return FormRevision(response.application_id, response.applicant_id, response.edit_revision)

    async def ensure_staff_access(self, caller: Caller, application_id: str) -> None:
        request = staff_pb2.GetApplicationForStaffRequest(application_id=application_id)
        await _call(lambda: self._staff.GetApplicationForStaff(request, metadata=forwarded_actor()))

    async def authority_points(self, authority_code: str) -> frozenset[str]:
        request = application_pb2.ListConfirmationPointsRequest(authority_code=authority_code)
        response = await _call(
            lambda: self._reference.ListConfirmationPoints(request, metadata=self._signer.metadata_for(SYSTEM_ACTOR))
        )
        return frozenset(p.code for p in response.points)

    async def point_applicants(self, caller: Caller, point_code: str) -> Sequence[PointExportRow]:
        summaries: list[views_pb2.ApplicationSummary] = []
        token = ""
        while True:
            page = await self._search_page(caller, point_code, token)
            summaries.extend(page.applications)
            token = page.next_page_token
            if not token:
                break
        gate = asyncio.Semaphore(EXPORT_CONCURRENCY)

        async def row(summary: views_pb2.ApplicationSummary) -> PointExportRow:
            # The staff summary lacks the certificate number, mobile and e-mail: read them from the
            # form data until ApplicationSummary carries them (asked of the application service).
            async with gate:
                detail = await self.form_data(application_id=summary.application_id)
            form = detail.form
            return PointExportRow(
                application_number=summary.application_number,
                applicant_name=summary.applicant_name,
                certificate_number=form.certificate.number,
                status_label=summary.status_label,
                submitted_at=form.submitted_at,
                document_number_masked=summary.document_number_masked,
                mobile_masked=form.mobile_masked,
                email=form.email,
            )

        return list(await asyncio.gather(*(row(s) for s in summaries)))

    async def _search_page(self, caller: Caller, point_code: str, token: str) -> staff_pb2.SearchApplicationsResponse:
        request = staff_pb2.SearchApplicationsRequest(point_code=point_code, page_size=PAGE_SIZE, page_token=token)
        return await _call(lambda: self._staff.SearchApplications(request, metadata=forwarded_actor()))


async def _call(make: Callable[[], Awaitable[T]]) -> T:
    """One RPC; a refusal comes back as the same ServiceError, an outage as DependencyUnavailable."""
    try:
        return await make()
    except grpc.aio.AioRpcError as exc:
        refused = from_rpc_error(exc)
        if refused is not None:
            raise refused from None
        raise errors.DependencyUnavailable(
            "APPLICATION_SERVICE_UNAVAILABLE",
            "申请服务暂时不可用，请稍后再试",
            "The application service is not answering; please try again shortly",
        ) from exc
