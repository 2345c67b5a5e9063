"""FormDataService: what the documents service prints, and the printout's version (role SYSTEM)."""

from __future__ import annotations

import grpc
from tqr.application.v1 import form_pb2 as pb
from tqr.application.v1 import form_pb2_grpc as rpc
from tqr.application.v1 import views_pb2 as v

from tqr_application.domain.status import STATUS_INFO
from tqr_application.entrypoints import mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import form
from tqr_application.service_layer.context import ServiceContext


class FormDataServicer(rpc.FormDataServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def GetFormRevision(
        self, request: pb.GetFormRevisionRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetFormRevisionResponse:
        application_id, applicant_id, revision = await form.revision_of(self.ctx, caller(context),
                                                                       request.application_id)
        return pb.GetFormRevisionResponse(application_id=application_id, applicant_id=applicant_id,
                                          edit_revision=revision)

    async def GetApplicationForForm(
        self, request: pb.GetApplicationForFormRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetApplicationForFormResponse:
        d = await form.for_form(self.ctx, caller(context), request.application_id, request.application_number)
        r, answers = d.record, d.record.answers
        cert, mat, ident = answers.certificate, answers.materials, answers.identity
        out = pb.GetApplicationForFormResponse(
            application_id=r.id,
            application_number=r.application_number,
            applicant_id=r.applicant_id,
            applicant_name=r.applicant_name,
            gender=mappers.gender(ident.get("gender") or cert.get("gender", "")),
            ethnicity=ident.get("ethnicity", ""),
            birth_date=ident.get("birth_date") or cert.get("birth_date", ""),
            document_type=mappers.document_type(ident.get("document_type", "")),
            document_type_label=form.DOCUMENT_TYPE_LABELS.get(ident.get("document_type", ""), ""),
            document_number=r.document_number,
            mobile_masked=ident.get("mobile_masked", ""),
            email=mat.get("email", ""),
            certificate_number=cert["certificate_number"],
            certificate_type_name=d.names["certificate_types"].get(cert.get("certificate_type_code", ""), ""),
            certificate_subject_name=d.names["subjects"].get(cert.get("subject_code", ""), ""),
            issuing_body=cert.get("issuing_body", ""),
            issue_date=cert.get("issue_date", ""),
            authority_name=d.authority.name if d.authority else "",
            point_name=d.point.name if d.point else "",
            point_address=d.point.address if d.point else "",
            school=mat.get("school", ""),
            post=mat.get("post", ""),
            teaching_stage_name=d.names["stages"].get(answers.teaching_stage_code, ""),
            teaching_subject_name=d.names["subjects"].get(answers.teaching_subject_code, ""),
            employment_start=mat.get("employment_start", ""),
            work_history=[v.WorkHistoryEntry(**w) for w in mat.get("work_history", [])],
            annual_assessments=[v.AnnualAssessment(**a) for a in mat.get("annual_assessments", [])],
            ethics_assessment=mat.get("ethics_assessment", ""),
            continuing_education_hours=int(mat.get("continuing_education_hours", 0)),
            photo=d.photo or b"",
            status=mappers.status_code(r.status),
            status_label=STATUS_INFO[r.status].label_zh,
            submitted_at=mappers.ts(r.submitted_at),
            version=r.version,
            edit_revision=r.edit_revision,
        )
        if d.window is not None:
            out.confirm_start.CopyFrom(mappers.ts(d.window.confirm_start))
            out.confirm_end.CopyFrom(mappers.ts(d.window.confirm_end))
        if d.slot is not None:
            out.slot.CopyFrom(mappers.slot_booking(d.slot))
        return out
