"""R-APP-8: which version of the form the applicant last printed, asked of the documents service by
the portal and the staff console alike. A page still works when the documents service does not
answer: the notice is then left out."""

from __future__ import annotations

import grpc
from tqr.documents.v1 import documents_pb2 as pb
from tqr.documents.v1 import documents_pb2_grpc as rpc

Metadata = tuple[tuple[str, bytes], ...]


async def printout_status(stub: rpc.DocumentsServiceStub, application_id: str,
                          md: Metadata) -> pb.GetPrintoutStatusResponse | None:
    try:
        return await stub.GetPrintoutStatus(  # type: ignore[no-any-return]
            pb.GetPrintoutStatusRequest(application_id=application_id), metadata=md)
    except grpc.aio.AioRpcError:
        return None
