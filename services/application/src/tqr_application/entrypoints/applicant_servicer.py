"""ApplicantService: own applications only (another applicant's id is NOT_FOUND)."""

from __future__ import annotations

import grpc
from tqr.application.v1 import applications_pb2 as pb
from tqr.application.v1 import applications_pb2_grpc as rpc

from tqr_application.entrypoints import audit_mapping, mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import applicant, audit_log
from tqr_application.service_layer.context import ServiceContext


class ApplicantServicer(rpc.ApplicantServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def ListMyApplications(self, request: pb.ListMyApplicationsRequest,
                                 context: grpc.aio.ServicerContext) -> pb.ListMyApplicationsResponse:
        found = await applicant.list_mine(self.ctx, caller(context))
        return pb.ListMyApplicationsResponse(applications=[mappers.application(d) for d in found])

    async def GetMyApplication(self, request: pb.GetMyApplicationRequest,
                               context: grpc.aio.ServicerContext) -> pb.GetMyApplicationResponse:
        found = await applicant.get_mine(self.ctx, caller(context), request.application_id)
        return pb.GetMyApplicationResponse(application=mappers.application(found))

    async def EditApplication(self, request: pb.EditApplicationRequest,
                              context: grpc.aio.ServicerContext) -> pb.EditApplicationResponse:
        which = request.WhichOneof("section")
        kwargs: dict[str, object] = {}
        if which == "certificate":
            c = request.certificate
            edit = {f.name: getattr(c, f.name) for f in c.DESCRIPTOR.fields}
            kwargs["certificate"] = {**edit, "gender": mappers.gender_letter(c.gender)}
        elif which == "materials":
            kwargs["materials"] = mappers.materials_dict(request.materials)
        elif which == "point_code":
            kwargs["point_code"] = request.point_code
        elif which == "teaching":
            kwargs["teaching"] = (request.teaching.teaching_stage_code, request.teaching.teaching_subject_code)
        else:
            kwargs["email"] = request.email
        found, replaced = await applicant.edit(self.ctx, caller(context), request.application_id,
                                               request.expected_version, **kwargs)  # type: ignore[arg-type]
        return pb.EditApplicationResponse(application=mappers.application(found), replaced_from_registry=replaced)

    async def CorrectAuthority(self, request: pb.CorrectAuthorityRequest,
                               context: grpc.aio.ServicerContext) -> pb.CorrectAuthorityResponse:
        found = await applicant.correct_authority(self.ctx, caller(context), request.application_id,
                                                  request.authority_code, request.point_code, request.expected_version)
        return pb.CorrectAuthorityResponse(application=mappers.application(found))

    async def WithdrawApplication(self, request: pb.WithdrawApplicationRequest,
                                  context: grpc.aio.ServicerContext) -> pb.WithdrawApplicationResponse:
        found = await applicant.withdraw(self.ctx, caller(context), request.application_id, request.reason,
                                         request.expected_version)
        return pb.WithdrawApplicationResponse(application=mappers.application(found))

    async def ResubmitMaterials(self, request: pb.ResubmitMaterialsRequest,
                                context: grpc.aio.ServicerContext) -> pb.ResubmitMaterialsResponse:
        found = await applicant.resubmit_materials(self.ctx, caller(context), request.application_id,
                                                   request.expected_version)
        return pb.ResubmitMaterialsResponse(application=mappers.application(found))

    async def ListMessages(self, request: pb.ListMessagesRequest,
                           context: grpc.aio.ServicerContext) -> pb.ListMessagesResponse:
        rows, notes = await applicant.list_messages(self.ctx, caller(context), request.application_id)
        return pb.ListMessagesResponse(messages=[mappers.message(r) for r in rows],
                                       point_notes=[pb.PointNotes(**n) for n in notes])

    async def ListApplicationAccess(self, request: pb.ListApplicationAccessRequest,
                                    context: grpc.aio.ServicerContext) -> pb.ListApplicationAccessResponse:
        return audit_mapping.access(await audit_log.access_of(self.ctx, caller(context), request.application_id))
