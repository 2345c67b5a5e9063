"""Typed calls to the notification service: the inbox (a person reads only their own messages) and,
in development, the outbox of what the development channels kept."""

from __future__ import annotations

import grpc
from tqr.notification.v1 import notification_pb2 as pb
from tqr.notification.v1 import notification_pb2_grpc as rpc

Metadata = tuple[tuple[str, bytes], ...]


class InboxClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.InboxServiceStub(channel)

    async def list_messages(self, md: Metadata, *, page_size: int = 20, page_token: str = "",
                            unread_only: bool = False, language: str = "zh") -> pb.ListInboxMessagesResponse:
        """Titles and bodies in ``language`` (the page's), not both languages glued together."""
        return await self._stub.ListInboxMessages(  # type: ignore[no-any-return]
            pb.ListInboxMessagesRequest(page_size=page_size, page_token=page_token, unread_only=unread_only,
                                        language=language),
            metadata=md)

    async def count_unread(self, md: Metadata) -> int:
        reply = await self._stub.CountUnreadMessages(pb.CountUnreadMessagesRequest(), metadata=md)
        return int(reply.unread)

    async def mark_read(self, message_id: str, md: Metadata) -> int:
        reply = await self._stub.MarkInboxMessageRead(pb.MarkInboxMessageReadRequest(message_id=message_id),
                                                      metadata=md)
        return int(reply.unread)


class DevOutboxClient:
    """Development only: notification serves DevOutboxService in development and nowhere else."""

    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.DevOutboxServiceStub(channel)

    async def list_messages(self, limit: int = 50) -> list[pb.OutboxMessage]:
        """Newest first, each with the verification code notification found in it."""
        reply = await self._stub.ListOutboxMessages(pb.ListOutboxMessagesRequest(limit=limit))
        return list(reply.messages)
