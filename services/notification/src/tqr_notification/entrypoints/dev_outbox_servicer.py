"""DevOutboxService over gRPC (development only): the gateway's outbox page reads the messages the
development channels kept through this call, never from the files themselves, so the gateway
needs neither this service's package nor its disk."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
from tqr.notification.v1 import notification_pb2 as pb
from tqr.notification.v1 import notification_pb2_grpc

from tqr_notification.channels.outbox_files import read_outbox
from tqr_notification.domain.outbox_view import OutboxEntry, entry_of

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
KINDS = {"email": pb.OUTBOX_MESSAGE_KIND_EMAIL, "sms": pb.OUTBOX_MESSAGE_KIND_SMS}


def to_message(entry: OutboxEntry) -> pb.OutboxMessage:
    message = pb.OutboxMessage(
        kind=KINDS.get(entry.kind, pb.OUTBOX_MESSAGE_KIND_UNSPECIFIED), channel=entry.channel,
        recipients=entry.recipients, subject=entry.subject, text=entry.text, code=entry.code,
    )
    if entry.received_at is not None:
        message.received_at.FromDatetime(entry.received_at)
    return message


class DevOutboxServicer(notification_pb2_grpc.DevOutboxServiceServicer):
    def __init__(self, outbox_dir: Path | str) -> None:
        self.outbox_dir = Path(outbox_dir)

    async def ListOutboxMessages(
        self, request: pb.ListOutboxMessagesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListOutboxMessagesResponse:
        limit = min(request.limit or DEFAULT_LIMIT, MAX_LIMIT)
        # Reading files blocks: off the event loop, which serves the bus and other calls meanwhile.
        records = await asyncio.to_thread(read_outbox, self.outbox_dir, limit)
        return pb.ListOutboxMessagesResponse(messages=[to_message(entry_of(r)) for r in records])
