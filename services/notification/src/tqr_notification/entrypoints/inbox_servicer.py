"""InboxService over gRPC: the caller (Actor metadata) reads and marks only their own inbox."""

from __future__ import annotations

import grpc
from servicekit.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from servicekit.rpc.actor import actor_of
from tqr.notification.v1 import notification_pb2 as pb
from tqr.notification.v1 import notification_pb2_grpc

from tqr_notification.service_layer import inbox
from tqr_notification.service_layer.context import NotificationContext


def _recipient(context: grpc.aio.ServicerContext, asked_for: str) -> str:
    actor = actor_of(context)
    if asked_for and asked_for != actor.subject_id:
        raise PermissionDenied(
            "NOTIFICATION_NOT_YOUR_INBOX", "只能查看本人的站内消息", "You can only read your own messages"
        )
    return actor.subject_id


def _before_seq(token: str) -> int | None:
    if not token:
        return None
    if not token.isdigit():
        raise InvalidInput([FieldProblem("page_token", "INVALID_PAGE_TOKEN", "翻页标记无效", "Invalid page token")])
    return int(token)


class InboxServicer(notification_pb2_grpc.InboxServiceServicer):
    def __init__(self, nctx: NotificationContext) -> None:
        self.nctx = nctx

    async def ListInboxMessages(
        self, request: pb.ListInboxMessagesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInboxMessagesResponse:
        recipient = _recipient(context, request.recipient_id)
        before = _before_seq(request.page_token)
        async with self.nctx.reading() as session:
            page = await inbox.list_messages(
                session, recipient, page_size=request.page_size, before_seq=before,
                unread_only=request.unread_only, language=request.language,
            )
            unread = await inbox.count_unread(session, recipient)
        return pb.ListInboxMessagesResponse(
            messages=[
                pb.InboxMessage(message_id=i.message_id, title=i.title, body=i.body,
                                created_at=i.created_at.isoformat(), read=i.read, event_type=i.event_type)
                for i in page.items
            ],
            next_page_token=str(page.next_after) if page.next_after is not None else "",
            unread=unread,
        )

    async def CountUnreadMessages(
        self, request: pb.CountUnreadMessagesRequest, context: grpc.aio.ServicerContext
    ) -> pb.CountUnreadMessagesResponse:
        recipient = _recipient(context, request.recipient_id)
        async with self.nctx.reading() as session:
            return pb.CountUnreadMessagesResponse(unread=await inbox.count_unread(session, recipient))

    async def MarkInboxMessageRead(
        self, request: pb.MarkInboxMessageReadRequest, context: grpc.aio.ServicerContext
    ) -> pb.MarkInboxMessageReadResponse:
        recipient = _recipient(context, "")
        async with self.nctx.sessions() as session, session.begin():
            # Someone else's message looks exactly like a missing one: its existence is not disclosed.
            if not await inbox.mark_read(session, recipient, request.message_id, self.nctx.clock.now()):
                raise NotFound("NOTIFICATION_MESSAGE_NOT_FOUND", "未找到该消息", "Message not found")
            unread = await inbox.count_unread(session, recipient)
        return pb.MarkInboxMessageReadResponse(unread=unread)
