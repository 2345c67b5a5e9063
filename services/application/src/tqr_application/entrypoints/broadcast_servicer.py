"""BroadcastService: preview and send a message to the applicants of a plan or a point (R-STAFF-7)."""

from __future__ import annotations

import grpc
from servicekit.errors import FieldProblem, InvalidInput
from tqr.application.v1 import broadcast_pb2 as pb
from tqr.application.v1 import broadcast_pb2_grpc as rpc

from tqr_application.domain.status import ApplicationStatus
from tqr_application.entrypoints import mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import broadcast
from tqr_application.service_layer.context import ServiceContext


def audience_of(message: pb.BroadcastAudience) -> broadcast.Audience:
    statuses: list[ApplicationStatus] = []
    for code in message.statuses:
        try:
            status = mappers.status_from(code)
        except ValueError as exc:
            raise InvalidInput([FieldProblem("statuses", broadcast.RULE, "未知的申请状态", "Unknown status")]) from exc
        if status is not None and status not in statuses:
            statuses.append(status)
    return broadcast.Audience(message.plan_id, message.point_code, tuple(statuses))


def text_of(message: pb.BroadcastText) -> broadcast.Text:
    return broadcast.Text(message.subject_zh, message.body_zh, message.subject_en, message.body_en)


def text_message(text: broadcast.Text) -> pb.BroadcastText:
    return pb.BroadcastText(subject_zh=text.subject_zh, body_zh=text.body_zh, subject_en=text.subject_en,
                            body_en=text.body_en)


class BroadcastServicer(rpc.BroadcastServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def PreviewBroadcast(self, request: pb.PreviewBroadcastRequest,
                               context: grpc.aio.ServicerContext) -> pb.PreviewBroadcastResponse:
        found = await broadcast.preview(self.ctx, caller(context), audience_of(request.audience),
                                        text_of(request.text))
        return pb.PreviewBroadcastResponse(recipient_count=found.recipient_count, text=text_message(found.text),
                                           author_org_name=found.author_org_name,
                                           audience_label=found.audience_label)

    async def SendBroadcast(self, request: pb.SendBroadcastRequest,
                            context: grpc.aio.ServicerContext) -> pb.SendBroadcastResponse:
        sent = await broadcast.send(self.ctx, caller(context), audience_of(request.audience), text_of(request.text),
                                    idempotency_key=request.idempotency_key, expected_count=request.expected_count)
        return pb.SendBroadcastResponse(broadcast_id=sent.broadcast_id, recipient_count=sent.recipient_count,
                                        sent_at=mappers.ts(sent.sent_at))
