"""SmtpEmailSender against a real aiosmtpd server on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from testkit import free_port
from tqr.application.v1 import events_pb2 as app
from tqr.identity.v1 import events_pb2 as idn
from tqr_notification.channels.email import SmtpEmailSender, SmtpSettings
from tqr_notification.domain.delivery import DeliveryStatus
from tqr_notification.domain.rendering import render

STATUS_CHANGED = app.ApplicationStatusChanged(
    application_number="2026110105000123", to_status="MATERIALS_INCOMPLETE",
    status_label="经审核材料不全，请向确认机构提交补齐", missing_materials=["继续教育学时证明"], actor_role="POINT_STAFF",
)


class RecordingHandler:
    """Records every message; refuses recipients listed in ``refuse`` with the given answer."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse = refuse or {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 queued as TQR1"


@pytest.fixture
def smtp_server():
    handler = RecordingHandler(
        refuse={
            "nobody@example.com": "550 5.1.1 mailbox unavailable",
            "full@example.com": "452 4.2.2 mailbox full, try later",
        }
    )
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def _unwire(content: str) -> str:
    """SMTP carries CRLF line ends; compare with what was rendered."""
    return content.replace("\r\n", "\n").strip()


def _sender(port: int, timeout: float = 5.0) -> SmtpEmailSender:
    return SmtpEmailSender(
        SmtpSettings(
            host="127.0.0.1", port=port, from_address="noreply@tqr.example.cn", timeout_seconds=timeout
        )
    )


async def test_r_app_2_status_email_arrives_with_chinese_subject_and_both_parts(smtp_server):
    handler, port = smtp_server
    rendered = render(STATUS_CHANGED, "email")
    result = await _sender(port).send("teacher@example.com", rendered, message_id="<d-42@tqr.example.cn>")
    assert result.status is DeliveryStatus.SENT, result
    assert result.provider_message_id == "<d-42@tqr.example.cn>"
    assert "queued as TQR1" in result.provider_answer
    [(recipients, raw)] = handler.messages
    assert recipients == ["teacher@example.com"]
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # Chinese is encoded, not raw, in the headers
    parsed = message_from_bytes(raw, policy=policy.default)
    assert str(parsed["Subject"]) == rendered.subject
    assert "经审核材料不全" in str(parsed["Subject"])
    assert parsed.get_content_type() == "multipart/alternative"
    assert _unwire(parsed.get_body(("plain",)).get_content()) == rendered.text
    html = _unwire(parsed.get_body(("html",)).get_content())
    assert "继续教育学时证明" in html and html == rendered.html


async def test_550_for_the_recipient_is_a_permanent_failure(smtp_server):
    _, port = smtp_server
    result = await _sender(port).send("nobody@example.com", render(STATUS_CHANGED, "email"))
    assert result.status is DeliveryStatus.FAILED and result.transient is False
    assert "550" in result.provider_answer
    assert "nobody@example.com" not in result.provider_answer


async def test_4xx_for_the_recipient_is_a_transient_failure(smtp_server):
    _, port = smtp_server
    result = await _sender(port).send("full@example.com", render(STATUS_CHANGED, "email"))
    assert result.status is DeliveryStatus.FAILED and result.transient is True
    assert "452" in result.provider_answer


async def test_server_that_is_down_is_a_transient_failure():
    result = await _sender(free_port()).send(
        "teacher@example.com", render(STATUS_CHANGED, "email")
    )
    assert result.status is DeliveryStatus.FAILED and result.transient is True


async def test_server_that_never_answers_times_out_as_transient():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never sends the greeting
    try:
        port = listener.getsockname()[1]
        started = asyncio.get_running_loop().time()
        result = await _sender(port, timeout=0.5).send(
            "teacher@example.com", render(STATUS_CHANGED, "email")
        )
        assert asyncio.get_running_loop().time() - started < 5
    finally:
        listener.close()
    assert result.status is DeliveryStatus.FAILED and result.transient is True


async def test_r_id_6_code_email_never_reaches_the_logs(smtp_server, caplog):
    handler, port = smtp_server
    code = idn.VerificationCodeRequested(purpose=idn.CODE_PURPOSE_LOGIN, channel=idn.CODE_CHANNEL_EMAIL,
                                         code="907531", expires_in_seconds=300)
    caplog.set_level(logging.DEBUG)
    result = await _sender(port).send("teacher@example.com", render(code, "email"))
    await _sender(port).send("nobody@example.com", render(code, "email"))
    assert result.sent
    delivered = message_from_bytes(handler.messages[0][1], policy=policy.default)
    assert "907531" in delivered.get_body(("plain",)).get_content()
    # Our own log lines only: the test server (aiosmtpd) logs its whole conversation.
    ours = [r for r in caplog.records if r.name.startswith("tqr_notification")]
    assert ours, "the sender should log its outcome"
    logged = " ".join(r.getMessage() + str(vars(r)) for r in ours)
    assert "907531" not in logged
    assert "teacher@example.com" not in logged and "nobody@example.com" not in logged
