"""HttpSmsProvider against a small real HTTP server on loopback (http.server in a thread)."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from testkit import free_port
from tqr.identity.v1 import events_pb2 as idn
from tqr_notification.channels.sms import HttpSmsProvider
from tqr_notification.domain.delivery import DeliveryStatus
from tqr_notification.domain.rendering import render
from tqr_notification.domain.retry import RetryPolicy

API_KEY = "test-key-123"
PHONE = "13812345678"


class FakeGateway:
    """Answers from a script of (status, body, delay) per request; records every request."""

    def __init__(self, script: list[tuple[int, dict, float]]) -> None:
        self.script = list(script)
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "api_key": self.headers.get("X-Api-Key"),
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                status, body, delay = gateway.script.pop(0) if gateway.script else (200, {}, 0.0)
                time.sleep(delay)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (deadline test)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_r_id_6_code_sms_fails_twice_then_succeeds_with_one_request_id():
    script = [
        (503, {"error": "busy"}, 0.0),
        (502, {"error": "upstream"}, 0.0),
        (200, {"message_id": "prov-777", "status": "accepted"}, 0.0),
    ]
    code = idn.VerificationCodeRequested(purpose=idn.CODE_PURPOSE_REGISTER, channel=idn.CODE_CHANNEL_SMS,
                                         code="246810", expires_in_seconds=300)
    text = render(code, "sms").text
    with FakeGateway(script) as gateway:
        async with HttpSmsProvider(gateway.url, API_KEY, deadline_seconds=5) as provider:
            # As the dispatcher retries a delivery: the same idempotency key, until the policy stops.
            policy, attempts = RetryPolicy(max_attempts=5), 0
            while True:
                result = await provider.send(PHONE, text, idempotency_key="delivery-1")
                attempts += 1
                if not policy.should_retry(result, attempts):
                    break
    assert attempts == 3
    assert result.status is DeliveryStatus.SENT
    assert result.provider_message_id == "prov-777"
    assert len(gateway.requests) == 3
    assert {r["json"]["request_id"] for r in gateway.requests} == {"delivery-1"}
    assert all(r["api_key"] == API_KEY and r["path"] == "/v1/sms" for r in gateway.requests)
    assert gateway.requests[0]["json"] == {"to": PHONE, "text": text, "request_id": "delivery-1"}


async def test_4xx_is_permanent_and_the_stored_answer_hides_phone_and_text():
    echo = {"error": "invalid signature", "to": PHONE, "text": "验证码 135790"}
    with FakeGateway([(400, echo, 0.0)]) as gateway:
        async with HttpSmsProvider(gateway.url, API_KEY) as provider:
            result = await provider.send(PHONE, "验证码 135790")
    assert result.status is DeliveryStatus.FAILED and result.transient is False
    assert "invalid signature" in result.provider_answer
    assert PHONE not in result.provider_answer and "135790" not in result.provider_answer


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limit_and_5xx_are_transient(status):
    with FakeGateway([(status, {"error": "later"}, 0.0)]) as gateway:
        async with HttpSmsProvider(gateway.url, API_KEY) as provider:
            result = await provider.send(PHONE, "hello")
    assert result.status is DeliveryStatus.FAILED and result.transient is True
    assert str(status) in result.provider_answer


async def test_slow_gateway_hits_the_deadline_as_transient():
    with FakeGateway([(200, {"message_id": "late"}, 2.0)]) as gateway:
        async with HttpSmsProvider(gateway.url, API_KEY, deadline_seconds=0.3) as provider:
            started = time.monotonic()
            result = await provider.send(PHONE, "hello")
            elapsed = time.monotonic() - started
    assert elapsed < 1.5
    assert result.status is DeliveryStatus.FAILED and result.transient is True


async def test_gateway_that_is_down_is_transient():
    async with HttpSmsProvider(f"http://127.0.0.1:{free_port()}/v1/sms", API_KEY) as provider:
        result = await provider.send(PHONE, "hello")
    assert result.status is DeliveryStatus.FAILED and result.transient is True


async def test_r_id_6_logs_hold_neither_the_phone_nor_the_code(caplog):
    caplog.set_level(logging.DEBUG)
    with FakeGateway([(500, {}, 0.0), (200, {"id": "p-1"}, 0.0)]) as gateway:
        async with HttpSmsProvider(gateway.url, API_KEY) as provider:
            await provider.send(PHONE, "验证码 864200")
            ok = await provider.send(PHONE, "验证码 864200")
    assert ok.provider_message_id == "p-1"
    logged = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert "864200" not in logged and PHONE not in logged
    assert "138****5678" in logged
