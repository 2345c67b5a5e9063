"""Which RPC a staff action travels by: point staff record on-site results (R-STAFF-2), authority
admins decide (R-STAFF-1). The console's page tests replace the client with a fake, so the choice,
made inside ``StaffApplicationClient.act``, is proved here over a channel that records each call."""

from __future__ import annotations

from typing import Any

import pytest
from tqr.application.v1 import status_pb2
from tqr_gateway import vocabulary
from tqr_gateway.clients.staff_application import StaffApplicationClient


class RecordingChannel:
    """Hands the stubs callables that record (RPC name, request) and answer an empty response."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def _callable(self, method: str, request_serializer: Any = None, response_deserializer: Any = None,
                  **_: Any) -> Any:
        async def call(request: Any, **__: Any) -> Any:
            self.sent.append((method.rsplit("/", 1)[-1], request))
            return response_deserializer(b"")
        return call

    unary_unary = unary_stream = stream_unary = stream_stream = _callable


@pytest.mark.parametrize(("role", "action", "rpc"), [
    (vocabulary.POINT_STAFF, "CONFIRM_ON_SITE", "RecordOnSiteResult"),
    (vocabulary.POINT_STAFF, "MARK_NOT_ELIGIBLE", "RecordOnSiteResult"),
    (vocabulary.AUTHORITY_ADMIN, "DEFER", "DecideApplication"),
    (vocabulary.AUTHORITY_ADMIN, "MARK_NOT_ELIGIBLE", "DecideApplication"),
])
async def test_r_staff_1_r_staff_2_the_role_chooses_the_on_site_or_the_decision_rpc(
        role: vocabulary.Role, action: str, rpc: str) -> None:
    channel = RecordingChannel()
    client = StaffApplicationClient(channel)  # type: ignore[arg-type]
    await client.act("app-1", action, role=role, metadata=(), reason="理由", expected_version=3)
    (sent_rpc, request), = channel.sent
    assert sent_rpc == rpc
    assert (request.application_id, request.action, request.reason, request.expected_version) == (
        "app-1", getattr(status_pb2, action), "理由", 3)


async def test_r_app_2_missing_materials_travel_with_the_on_site_result() -> None:
    channel = RecordingChannel()
    client = StaffApplicationClient(channel)  # type: ignore[arg-type]
    await client.act("app-1", "MARK_MATERIALS_INCOMPLETE", role=vocabulary.POINT_STAFF, metadata=(),
                     missing_materials=["教师资格证书原件", "单位证明"])
    (sent_rpc, request), = channel.sent
    assert sent_rpc == "RecordOnSiteResult"
    assert list(request.missing_materials) == ["教师资格证书原件", "单位证明"]
