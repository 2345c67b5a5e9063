"""DocumentsService over gRPC: maps requests to use cases and files to chunked streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from servicekit import vocabulary
from servicekit.rpc.actor import actor_of
from tqr.common.v1 import vocabulary_pb2
from tqr.documents.v1 import documents_pb2 as pb
from tqr.documents.v1 import documents_pb2_grpc as rpc

from tqr_documents.domain.access import Caller
from tqr_documents.service_layer import downloads, exports, form_codes
from tqr_documents.service_layer.context import DocumentsContext

FORMAT_NAMES = {
    pb.FORM_FORMAT_UNSPECIFIED: "pdf",
    pb.FORM_FORMAT_PDF: "pdf",
    pb.FORM_FORMAT_DOCX: "docx",
}


def caller_of(context: grpc.aio.ServicerContext) -> Caller:
    actor = actor_of(context)
    return Caller(subject_id=actor.subject_id, role=vocabulary.code(vocabulary_pb2.Role, actor.role),
                  organisation_code=actor.organisation_code)


class DocumentsServicer(rpc.DocumentsServiceServicer):
    def __init__(self, ctx: DocumentsContext) -> None:
        self.ctx = ctx

    async def VerifyFormCode(
        self, request: pb.VerifyFormCodeRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyFormCodeResponse:
        check = await form_codes.verify_form_code(self.ctx, caller_of(context), request.code)
        return pb.VerifyFormCodeResponse(
            genuine=check.genuine, application_number=check.application_number, form_version=check.form_version,
            application_id=check.application_id, current=check.current,
        )

    async def DownloadApplicationForm(
        self, request: pb.DownloadApplicationFormRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.DownloadApplicationFormResponse]:
        fmt = FORMAT_NAMES.get(request.format, "")  # type: ignore[call-overload]
        form = await downloads.download_form(self.ctx, caller_of(context), request.application_id, fmt)
        filename, display = downloads.filenames(form.application_number, form.format)
        yield pb.DownloadApplicationFormResponse(
            metadata=pb.FileMetadata(
                content_type=form.content_type, filename=filename, size=len(form.data),
                content_hash=form.content_hash, form_version=form.form_version, display_filename=display,
            )
        )
        for chunk in downloads.chunks(form.data):
            yield pb.DownloadApplicationFormResponse(chunk=chunk)

    async def GetPrintoutStatus(
        self, request: pb.GetPrintoutStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPrintoutStatusResponse:
        status = await downloads.printout_status(self.ctx, caller_of(context), request.application_id)
        reply = pb.GetPrintoutStatusResponse(current_revision=status.current_revision,
                                             last_applicant_revision=status.last_revision,
                                             out_of_date=status.out_of_date)
        if status.last_downloaded_at is not None:
            reply.last_applicant_download_at.FromDatetime(status.last_downloaded_at)
        return reply

    async def ExportPointApplicants(
        self, request: pb.ExportPointApplicantsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ExportPointApplicantsResponse]:
        export = await exports.export_point_applicants(self.ctx, caller_of(context), request.point_code)
        yield pb.ExportPointApplicantsResponse(
            metadata=pb.FileMetadata(
                content_type=export.content_type, filename=export.filename, size=len(export.data),
                content_hash=export.sha256, display_filename=export.display_filename,
            )
        )
        for chunk in downloads.chunks(export.data):
            yield pb.ExportPointApplicantsResponse(chunk=chunk)
