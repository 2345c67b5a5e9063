"""ReferenceDataService: places, authorities, points, code lists, CSV import."""

from __future__ import annotations

import grpc
from tqr.application.v1 import application_pb2 as pb
from tqr.application.v1 import application_pb2_grpc as rpc

from tqr_application.entrypoints import mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import reference, reference_edits
from tqr_application.service_layer.context import ServiceContext


class ReferenceDataServicer(rpc.ReferenceDataServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def ListRegions(
        self, request: pb.ListRegionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRegionsResponse:
        regions = await reference.regions(self.ctx, request.parent_code)
        return pb.ListRegionsResponse(
            regions=[
                pb.Region(code=r.code, name=r.name, level=r.level.value, parent_code=r.parent_code or "")
                for r in regions
            ]
        )

    async def SearchRegions(
        self, request: pb.SearchRegionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchRegionsResponse:
        found = await reference.search_regions(self.ctx, request.text, request.limit)
        return pb.SearchRegionsResponse(matches=[pb.RegionMatch(code=code, path=path) for code, path in found])

    async def ListAuthorities(
        self, request: pb.ListAuthoritiesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAuthoritiesResponse:
        found = await reference.authorities(self.ctx, request.region_code)
        return pb.ListAuthoritiesResponse(
            authorities=[
                pb.Authority(code=a.code, name=a.name, region_code=a.region_code, address=a.address, phone=a.phone)
                for a in found
            ]
        )

    async def ListConfirmationPoints(
        self, request: pb.ListConfirmationPointsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListConfirmationPointsResponse:
        points = await reference.points_with_notes(self.ctx, request.authority_code, request.point_code)
        return pb.ListConfirmationPointsResponse(
            points=[
                pb.ConfirmationPoint(
                    code=p.code,
                    authority_code=p.authority_code,
                    name=p.name,
                    address=p.address,
                    phone=p.phone,
                    scope=p.scope,
                    onsite_notes=notes,
                )
                for p, notes in points
            ]
        )

    async def ListCodeLists(
        self, request: pb.ListCodeListsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCodeListsResponse:
        names = await reference.code_names(self.ctx)

        def items(kind: str) -> list[pb.CodeName]:
            return [pb.CodeName(code=c, name=n) for c, n in names[kind].items()]

        return pb.ListCodeListsResponse(
            teaching_stages=items("stages"),
            subjects=items("subjects"),
            certificate_types=items("certificate_types"),
            missing_subject_hint_zh=reference.MISSING_SUBJECT_HINT[0],
            missing_subject_hint_en=reference.MISSING_SUBJECT_HINT[1],
        )

    async def GetWorkflowRules(
        self, request: pb.GetWorkflowRulesRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWorkflowRulesResponse:
        return mappers.workflow_rules()

    async def ImportReferenceData(
        self, request: pb.ImportReferenceDataRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImportReferenceDataResponse:
        if request.dry_run:
            result, preview = await reference_edits.preview_import(self.ctx, caller(context), dict(request.files))
        else:
            result, preview = await reference.import_files(self.ctx, caller(context), dict(request.files)), []
        if result.ok and result.batch is not None:
            return pb.ImportReferenceDataResponse(
                imported=not request.dry_run, counts={k.file_name: n for k, n in result.batch.counts().items()},
                preview=[pb.ImportPreviewRow(file=r.file, code=r.code, name=r.name, detail=r.detail)
                         for r in preview],
            )
        return pb.ImportReferenceDataResponse(
            imported=False,
            errors=[
                pb.ImportRowError(
                    file=e.file, row=e.row, column=e.column, message_zh=e.message_zh, message_en=e.message_en
                )
                for e in result.errors
            ],
        )

    async def UpdateAuthority(
        self, request: pb.UpdateAuthorityRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateAuthorityResponse:
        a = await reference_edits.update_authority(self.ctx, caller(context), request.code, name=request.name,
                                                   address=request.address, phone=request.phone)
        return pb.UpdateAuthorityResponse(authority=pb.Authority(
            code=a.code, name=a.name, region_code=a.region_code, address=a.address, phone=a.phone))

    async def UpdateConfirmationPoint(
        self, request: pb.UpdateConfirmationPointRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateConfirmationPointResponse:
        p = await reference_edits.update_point(self.ctx, caller(context), request.code, address=request.address,
                                               phone=request.phone, scope=request.scope)
        return pb.UpdateConfirmationPointResponse(point=pb.ConfirmationPoint(
            code=p.code, authority_code=p.authority_code, name=p.name, address=p.address, phone=p.phone,
            scope=p.scope))

    async def RenameCode(
        self, request: pb.RenameCodeRequest, context: grpc.aio.ServicerContext
    ) -> pb.RenameCodeResponse:
        name = await reference_edits.rename_code(self.ctx, caller(context), request.list, request.code, request.name)
        return pb.RenameCodeResponse(entry=pb.CodeName(code=request.code, name=name))
