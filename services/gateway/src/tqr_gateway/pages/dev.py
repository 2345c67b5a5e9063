"""Development-only pages: the outbox of every email and SMS the system "sent" (codes included),
so a newcomer can finish registration without a real phone. Outside development: 404.

The messages and the codes in them come from the notification service (DevOutboxService), which
owns the outbox and the wording the codes are found in."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from tqr.notification.v1 import notification_pb2 as pb

from tqr_gateway.deps import DevOutbox
from tqr_gateway.web.templating import render

router = APIRouter(include_in_schema=False)

KINDS = {pb.OUTBOX_MESSAGE_KIND_EMAIL: "email", pb.OUTBOX_MESSAGE_KIND_SMS: "sms"}


def outbox_record(message: pb.OutboxMessage) -> dict[str, Any]:
    """What the outbox template shows of one message."""
    received = message.received_at.ToDatetime(tzinfo=UTC).isoformat() if message.HasField("received_at") else ""
    return {
        "kind": KINDS.get(message.kind, ""), "channel": message.channel, "recipient": ", ".join(message.recipients),
        "subject": message.subject, "text": message.text, "code": message.code, "received_at": received,
    }


@router.get("/dev/outbox")
async def outbox(request: Request, outbox: DevOutbox) -> Response:
    settings = request.app.state.settings
    if not settings.development:
        raise HTTPException(status_code=404)
    messages = await outbox.list_messages()
    return render(request, "dev/outbox.html", {"records": [outbox_record(m) for m in messages]})
