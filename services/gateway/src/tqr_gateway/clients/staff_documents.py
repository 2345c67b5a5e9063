"""Typed calls to the documents service for staff: verifying a scanned form code (R-STAFF-2) and
the point's applicant list as an Excel workbook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from tqr.documents.v1 import documents_pb2 as pb
from tqr.documents.v1 import documents_pb2_grpc as rpc

from tqr_gateway.clients import printout

Metadata = Sequence[tuple[str, str | bytes]]
FORM_CODE_PREFIX = "TQR1."
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class FormCodeCheck:
    genuine: bool
    application_number: str = ""
    application_id: str = ""
    current: bool = False


@dataclass(frozen=True)
class ExportedFile:
    content_type: str
    filename: str
    display_filename: str
    content: bytes


def looks_like_form_code(text: str) -> bool:
    return text.strip().upper().startswith(FORM_CODE_PREFIX.upper())


class StaffDocumentsClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.DocumentsServiceStub(channel)

    async def printout_status(self, application_id: str, *,
                              metadata: Metadata) -> pb.GetPrintoutStatusResponse | None:
        """R-APP-8: the form's version now and the one the applicant last downloaded."""
        return await printout.printout_status(self._stub, application_id, metadata)

    async def verify_form_code(self, code: str, *, metadata: Metadata) -> FormCodeCheck:
        reply = await self._stub.VerifyFormCode(pb.VerifyFormCodeRequest(code=code.strip()), metadata=metadata)
        if not reply.genuine:
            return FormCodeCheck(False)
        return FormCodeCheck(True, reply.application_number, reply.application_id, reply.current)

    async def export_point_applicants(self, point_code: str, *, metadata: Metadata) -> ExportedFile:
        """The whole workbook in memory: a point's list is small (hundreds of rows)."""
        meta = pb.FileMetadata()
        chunks: list[bytes] = []
        stream = self._stub.ExportPointApplicants(pb.ExportPointApplicantsRequest(point_code=point_code),
                                                  metadata=metadata)
        async for part in stream:
            if part.HasField("metadata"):
                meta = part.metadata
            else:
                chunks.append(part.chunk)
        return ExportedFile(meta.content_type or XLSX, meta.filename or f"point-{point_code}.xlsx",
                            meta.display_filename, b"".join(chunks))
