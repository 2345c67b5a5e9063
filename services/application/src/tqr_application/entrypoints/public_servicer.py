"""PublicResultService: the public registration result check (R-PUB-1); no actor needed."""

from __future__ import annotations

import grpc
from tqr.application.v1 import public_pb2 as pb
from tqr.application.v1 import public_pb2_grpc as rpc

from tqr_application.domain.status import ApplicationStatus
from tqr_application.entrypoints import mappers
from tqr_application.service_layer import public_result
from tqr_application.service_layer.context import ServiceContext

RESULTS = {
    ApplicationStatus.REGISTERED: pb.REGISTRATION_RESULT_REGISTERED,
    ApplicationStatus.DEFERRED: pb.REGISTRATION_RESULT_DEFERRED,
    ApplicationStatus.REJECTED: pb.REGISTRATION_RESULT_REJECTED,
}


class PublicResultServicer(rpc.PublicResultServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def CheckRegistrationResult(
        self, request: pb.CheckRegistrationResultRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckRegistrationResultResponse:
        found = await public_result.check_result(
            self.ctx, {"certificate_number": request.certificate_number, "name": request.name})
        if found is None:
            return pb.CheckRegistrationResultResponse()
        return pb.CheckRegistrationResultResponse(result=RESULTS[found.status], decided_at=mappers.ts(found.decided_at))
