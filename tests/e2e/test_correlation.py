"""One request's correlation id is on the log lines of every process it reached: the gateway, the
service it called, and the consumer of the event that call caused."""

from __future__ import annotations

import json
import uuid

from testkit import wait_for

from tests.e2e.api_client import ApiClient


def lines_with(logs: str, correlation_id: str) -> list[dict]:
    found = []
    for line in logs.splitlines():
        if correlation_id in line:
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return [entry for entry in found if entry.get("correlation_id") == correlation_id]


async def test_a_request_id_flows_gateway_to_service_to_event_consumer(running_system):
    request_id = f"e2e-{uuid.uuid4().hex[:16]}"
    async with ApiClient(running_system.url) as api:
        pass_token = await api.human_pass()
        api.request_id = request_id
        sent = await api.request("POST", "/api/v1/account/verification-codes",
                                 json={"pass_token": pass_token, "mobile": "13912345678", "channel": "SMS"})
        assert sent.status_code == 200, sent.text
        assert sent.headers["x-request-id"] == request_id

    await wait_for(lambda: lines_with(running_system.logs("notification"), request_id), timeout=30,
                   what="the consumer's log line")
    gateway = lines_with(running_system.logs("gateway"), request_id)
    identity = lines_with(running_system.logs("identity"), request_id)
    notification = lines_with(running_system.logs("notification"), request_id)
    assert any(entry.get("route") == "/api/v1/account/verification-codes" for entry in gateway)
    assert identity, "the identity service logged nothing for the request"
    assert any(entry.get("event_type") == "tqr.identity.v1.VerificationCodeRequested" for entry in notification)
    # The code and the number are personal data: never in any log line.
    for text in (running_system.logs("gateway"), running_system.logs("identity"), running_system.logs("notification")):
        assert "13912345678" not in text
