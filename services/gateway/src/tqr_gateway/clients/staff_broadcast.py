"""Typed calls to the application service's BroadcastService (R-STAFF-7) for the staff console.

The staff member's Actor travels in ``metadata``; the service decides the scope (own organisation
only) and who the recipients are. Errors reach the route, which shows the refusal beside the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
from tqr.application.v1 import broadcast_pb2 as pb
from tqr.application.v1 import broadcast_pb2_grpc as rpc

from tqr_gateway.clients.workflow_rules import status_code

Metadata = Sequence[tuple[str, str | bytes]]


@dataclass(frozen=True)
class BroadcastDraft:
    """What the compose form holds: the audience ("plan:<id>" or "point:<code>"), the statuses
    (codes; none: every status) and the text."""

    audience: str
    statuses: tuple[str, ...]
    subject_zh: str
    body_zh: str
    subject_en: str = ""
    body_en: str = ""

    def audience_message(self) -> pb.BroadcastAudience:
        kind, _, value = self.audience.partition(":")
        return pb.BroadcastAudience(plan_id=value if kind == "plan" else "",
                                    point_code=value if kind == "point" else "",
                                    statuses=[status_code(s) for s in self.statuses])

    def text_message(self) -> pb.BroadcastText:
        return pb.BroadcastText(subject_zh=self.subject_zh, body_zh=self.body_zh, subject_en=self.subject_en,
                                body_en=self.body_en)


class StaffBroadcastClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.BroadcastServiceStub(channel)

    async def preview(self, draft: BroadcastDraft, *, metadata: Metadata) -> pb.PreviewBroadcastResponse:
        reply: pb.PreviewBroadcastResponse = await self._stub.PreviewBroadcast(pb.PreviewBroadcastRequest(
            audience=draft.audience_message(), text=draft.text_message()), metadata=metadata)
        return reply

    async def send(self, draft: BroadcastDraft, *, idempotency_key: str, expected_count: int,
                   metadata: Metadata) -> pb.SendBroadcastResponse:
        reply: pb.SendBroadcastResponse = await self._stub.SendBroadcast(pb.SendBroadcastRequest(
            audience=draft.audience_message(), text=draft.text_message(), idempotency_key=idempotency_key,
            expected_count=expected_count), metadata=metadata)
        return reply
