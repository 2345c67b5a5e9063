from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import aiosmtplib
import pytest
from servicekit.clock import ManualClock
from tqr_notification.channels.email import SmtpSettings, build_email_message, classify_smtp_error
from tqr_notification.domain.rendering import RenderedMessage

SETTINGS = SmtpSettings(host="127.0.0.1", port=25, from_address="noreply@tqr.example.cn")
RENDERED = RenderedMessage("申请状态更新 / Status update", "正文 text", "<p>正文 html</p>")


def test_message_is_multipart_alternative_with_encoded_chinese_headers():
    msg = build_email_message(
        SETTINGS, "teacher@example.com", RENDERED, clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
    )
    raw = msg.as_bytes(policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"=?utf-8?" in head.lower()  # RFC 2047, no raw UTF-8 in headers
    head.decode("ascii")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert str(parsed["Subject"]) == "申请状态更新 / Status update"
    assert "教师资格定期注册" in str(parsed["From"]) and "noreply@tqr.example.cn" in str(parsed["From"])
    assert parsed.get_body(("plain",)).get_content().strip() == "正文 text"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>正文 html</p>"
    assert parsed["Date"] == "Sun, 01 Mar 2026 00:00:00 +0000"


def test_message_id_stays_the_same_when_given():
    msg = build_email_message(SETTINGS, "a@example.com", RENDERED, message_id="<d-1@tqr.example.cn>")
    assert msg["Message-ID"] == "<d-1@tqr.example.cn>"


def test_starttls_and_implicit_tls_together_are_refused():
    with pytest.raises(ValueError):
        SmtpSettings(host="h", port=1, from_address="a@b.c", starttls=True, use_tls=True)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (aiosmtplib.SMTPConnectError("refused"), True),
        (aiosmtplib.SMTPConnectTimeoutError("slow"), True),
        (aiosmtplib.SMTPReadTimeoutError("slow"), True),
        (aiosmtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (
            aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@b.c")]),
            False,
        ),
        (
            aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(452, "mailbox full", "a@b.c")]),
            True,
        ),
        (aiosmtplib.SMTPDataError(554, "rejected"), False),
        (aiosmtplib.SMTPDataError(451, "try later"), True),
        (aiosmtplib.SMTPSenderRefused(553, "sender refused", "noreply@x"), False),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), True),
        (aiosmtplib.SMTPHeloError(501, "bad helo"), True),
    ],
)
def test_errors_are_classified_transient_or_permanent(error, transient):
    result = classify_smtp_error(error)
    assert not result.sent and result.transient is transient
