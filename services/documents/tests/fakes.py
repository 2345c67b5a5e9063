"""Test doubles of the application service, shared by the tests and the download benchmark.

``FakeApplications`` holds applications in memory. ``FakeApplicationSource`` serves them to the
service layer directly (unit tests); ``serve_fake_application_service`` serves them over a real gRPC
server with the RPC shapes of the application service (integration tests, benchmark), applying the
same access rules: form data for SYSTEM only, staff calls within the staff member's organisation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from servicekit import vocabulary
from servicekit.errors import NotFound, PermissionDenied
from servicekit.masking import mask_document_number
from servicekit.rpc.actor import actor_of
from servicekit.rpc.server import create_server
from tqr.application.v1 import (
    application_pb2,
    application_pb2_grpc,
    form_pb2,
    form_pb2_grpc,
    staff_pb2,
    staff_pb2_grpc,
    views_pb2,
)
from tqr.common.v1 import vocabulary_pb2
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import (
    DOCUMENT_TYPE_ID_CARD,
    GENDER_FEMALE,
    GENDER_MALE,
    GENDER_UNSPECIFIED,
    ROLE_SYSTEM,
)
from tqr_documents.adapters.form_mapping import snapshot_of
from tqr_documents.domain.access import Caller
from tqr_documents.domain.form import ApplicationForm
from tqr_documents.domain.point_export import PointExportRow
from tqr_documents.service_layer.ports import FormRevision, FormSnapshot

_GENDERS = {"男": GENDER_MALE, "女": GENDER_FEMALE}


@dataclass
class FakeApplication:
    application_id: str
    applicant_id: str
    authority_code: str
    point_code: str
    form: ApplicationForm
    version: int = 1


class FakeApplications:
    def __init__(self, points: dict[str, str] | None = None) -> None:
        self.by_id: dict[str, FakeApplication] = {}
        self.points = dict(points or {})  # point code → authority code
        self.form_reads = 0

    def add(self, application: FakeApplication) -> FakeApplication:
        self.by_id[application.application_id] = application
        self.points.setdefault(application.point_code, application.authority_code)
        return application

    def edit(self, application_id: str, **changes: Any) -> ApplicationForm:
        """Change printed values, as an applicant's edit would (a new version)."""
        found = self.by_id[application_id]
        found.form = dataclasses.replace(found.form, **changes)
        found.version += 1
        return found.form

    def get(self, application_id: str = "", application_number: str = "") -> FakeApplication:
        self.form_reads += 1
        if application_id:
            found = self.by_id.get(application_id)
        else:
            found = next((a for a in self.by_id.values() if a.form.application_number == application_number), None)
        if found is None:
            raise NotFound("APPLICATION_NOT_FOUND", "找不到该申请", "No such application")
        return found

    def check_scope(self, actor: Actor | Caller, application: FakeApplication) -> None:
        if _role(actor) == "AUTHORITY_ADMIN" and actor.organisation_code == application.authority_code:
            return
        if _role(actor) == "POINT_STAFF" and actor.organisation_code == application.point_code:
            return
        raise PermissionDenied("R-STAFF-4", "该申请不属于您所在的机构", "This application is not in your organisation")

    def in_point(self, actor: Actor | Caller, point_code: str) -> list[FakeApplication]:
        found = [a for a in self.by_id.values() if a.point_code == point_code]
        if _role(actor) == "AUTHORITY_ADMIN":
            return [a for a in found if a.authority_code == actor.organisation_code]
        if _role(actor) == "POINT_STAFF":
            return found if actor.organisation_code == point_code else []
        raise PermissionDenied("R-STAFF-4", "您的账号不能使用此功能", "Your account cannot use this function")


def export_row(application: FakeApplication) -> PointExportRow:
    form = application.form
    return PointExportRow(
        application_number=form.application_number, applicant_name=form.applicant_name,
        certificate_number=form.certificate.number, status_label=form.status_label,
        submitted_at=form.submitted_at, document_number_masked=mask_document_number(form.document_number),
        mobile_masked=form.mobile_masked, email=form.email,
    )


class FakeApplicationSource:
    """The ApplicationSource protocol over the in-memory applications (no network)."""

    def __init__(self, applications: FakeApplications) -> None:
        self.applications = applications
        self.form_reads = 0  # form_data calls

    async def form_data(self, application_id: str = "", application_number: str = "") -> FormSnapshot:
        self.form_reads += 1
        found = self.applications.get(application_id, application_number)
        return FormSnapshot(found.application_id, found.applicant_id, found.version, found.form)

    async def form_revision(self, application_id: str) -> FormRevision:
        found = self.applications.get(application_id)
        return FormRevision(found.application_id, found.applicant_id, found.form.edit_revision)

    async def ensure_staff_access(self, caller: Caller, application_id: str) -> None:
        self.applications.check_scope(caller, self.applications.get(application_id))

    async def authority_points(self, authority_code: str) -> frozenset[str]:
        return frozenset(p for p, a in self.applications.points.items() if a == authority_code)

    async def point_applicants(self, caller: Caller, point_code: str) -> Sequence[PointExportRow]:
        return [export_row(a) for a in self.applications.in_point(caller, point_code)]


def _role(actor: Actor | Caller) -> str:
    return vocabulary.code(vocabulary_pb2.Role, actor.role) if isinstance(actor, Actor) else str(actor.role)


def form_response(application: FakeApplication) -> form_pb2.GetApplicationForFormResponse:
    """The application service's answer for an application (the inverse of ``snapshot_of``)."""
    f = application.form
    out = form_pb2.GetApplicationForFormResponse(
        application_id=application.application_id, application_number=f.application_number,
        applicant_id=application.applicant_id, applicant_name=f.applicant_name,
        gender=_GENDERS.get(f.gender, GENDER_UNSPECIFIED), ethnicity=f.ethnicity, birth_date=f.birth_date.isoformat(),
        document_type=DOCUMENT_TYPE_ID_CARD, document_type_label=f.document_type, document_number=f.document_number,
        mobile_masked=f.mobile_masked, email=f.email, certificate_number=f.certificate.number,
        certificate_type_name=f.certificate.type_name, certificate_subject_name=f.certificate.subject,
        issuing_body=f.certificate.issuing_body, issue_date=f.certificate.issue_date.isoformat(),
        authority_name=f.arrangement.authority_name, point_name=f.arrangement.point_name,
        point_address=f.arrangement.point_address, confirm_start=_ts(f.arrangement.window_start),
        confirm_end=_ts(f.arrangement.window_end), school=f.current_post.school, post=f.current_post.post,
        teaching_stage_name=f.current_post.teaching_stage, teaching_subject_name=f.current_post.subject,
        employment_start=f.current_post.employment_start.isoformat(),
        work_history=[
            views_pb2.WorkHistoryEntry(start=w.start.isoformat(), end=w.end.isoformat() if w.end else "",
                                       school=w.school, post=w.post)
            for w in f.work_history
        ],
        annual_assessments=[views_pb2.AnnualAssessment(year=a.year, result=a.result) for a in f.annual_assessments],
        ethics_assessment=f.ethics_assessment, continuing_education_hours=f.continuing_education_hours,
        photo=f.photo or b"", status="SUBMITTED", status_label=f.status_label,
        submitted_at=_ts(f.submitted_at), version=application.version,
    )
    if f.arrangement.appointment_start is not None:  # R-SLOT-2
        out.slot.slot.starts_at.CopyFrom(_ts(f.arrangement.appointment_start))
        out.slot.slot.ends_at.CopyFrom(_ts(f.arrangement.appointment_end or f.arrangement.appointment_start))
    assert snapshot_of(out).form.content_hash() == f.content_hash(), "the fake must round-trip every value"
    return out


def _ts(instant: Any) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


class _FormData(form_pb2_grpc.FormDataServiceServicer):
    def __init__(self, applications: FakeApplications) -> None:
        self.applications = applications

    async def GetApplicationForForm(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if actor_of(context).role != ROLE_SYSTEM:
            raise PermissionDenied("R-STAFF-4", "仅限系统调用", "System callers only")
        return form_response(self.applications.get(request.application_id, request.application_number))

    async def GetFormRevision(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if actor_of(context).role != ROLE_SYSTEM:
            raise PermissionDenied("R-STAFF-4", "仅限系统调用", "System callers only")
        found = self.applications.get(request.application_id)
        return form_pb2.GetFormRevisionResponse(application_id=found.application_id, applicant_id=found.applicant_id,
                                                edit_revision=found.form.edit_revision)


class _Staff(staff_pb2_grpc.StaffServiceServicer):
    def __init__(self, applications: FakeApplications) -> None:
        self.applications = applications

    async def GetApplicationForStaff(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        found = self.applications.get(request.application_id)
        self.applications.check_scope(actor_of(context), found)
        return staff_pb2.GetApplicationForStaffResponse(
            application=views_pb2.ApplicationView(application_id=found.application_id)
        )

    async def SearchApplications(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        found = self.applications.in_point(actor_of(context), request.point_code)
        start = int(request.page_token or 0)
        size = request.page_size or 20
        page = found[start : start + size]
        token = str(start + size) if start + size < len(found) else ""
        return staff_pb2.SearchApplicationsResponse(
            applications=[
                views_pb2.ApplicationSummary(
                    application_id=a.application_id, application_number=a.form.application_number,
                    applicant_name=a.form.applicant_name,
                    document_number_masked=mask_document_number(a.form.document_number),
                    status="SUBMITTED", status_label=a.form.status_label, authority_code=a.authority_code,
                    point_code=a.point_code, submitted_at=_ts(a.form.submitted_at),
                )
                for a in page
            ],
            next_page_token=token,
        )


class _Reference(application_pb2_grpc.ReferenceDataServiceServicer):
    def __init__(self, applications: FakeApplications) -> None:
        self.applications = applications

    async def ListConfirmationPoints(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return application_pb2.ListConfirmationPointsResponse(
            points=[
                application_pb2.ConfirmationPoint(code=p, authority_code=a)
                for p, a in self.applications.points.items()
                if a == request.authority_code
            ]
        )


async def serve_fake_application_service(applications: FakeApplications) -> tuple[grpc.aio.Server, int]:
    """Starts the double on 127.0.0.1 and a free port; the caller stops the server."""

    def register(server: grpc.aio.Server) -> None:
        form_pb2_grpc.add_FormDataServiceServicer_to_server(_FormData(applications), server)
        staff_pb2_grpc.add_StaffServiceServicer_to_server(_Staff(applications), server)
        application_pb2_grpc.add_ReferenceDataServiceServicer_to_server(_Reference(applications), server)

    server, _health = create_server("fake-application", [register], [])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, port
