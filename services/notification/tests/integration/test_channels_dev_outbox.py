"""The development outbox end to end: aiosmtplib → SmtpSink → JSON lines → read_outbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiosmtplib
from servicekit.clock import ManualClock
from testkit import free_port
from tqr.identity.v1 import events_pb2 as idn
from tqr_notification.channels.dev_outbox import SmtpSink
from tqr_notification.channels.email import SmtpEmailSender, SmtpSettings, build_email_message
from tqr_notification.channels.outbox_files import read_outbox
from tqr_notification.channels.sms import DevSmsProvider
from tqr_notification.domain.rendering import render

CODE_EVENT = idn.VerificationCodeRequested(
    account_hint="t***@example.com", purpose=idn.CODE_PURPOSE_REGISTER, channel=idn.CODE_CHANNEL_EMAIL,
    code="314159", expires_in_seconds=300,
)


async def test_r_id_6_newcomer_reads_the_registration_code_in_the_outbox(tmp_path):
    rendered = render(CODE_EVENT, "email")
    with SmtpSink("127.0.0.1", free_port(), tmp_path / "outbox") as sink:
        sender = SmtpEmailSender(
            SmtpSettings(host="127.0.0.1", port=sink.port, from_address="noreply@tqr.example.cn")
        )
        result = await sender.send("teacher@example.com", rendered)
    assert result.sent
    [record] = read_outbox(tmp_path / "outbox", limit=10)
    assert record["kind"] == "email"
    assert record["to"] == ["teacher@example.com"]
    assert record["subject"] == rendered.subject
    assert record["text"].strip() == rendered.text
    assert record["html"].strip() == rendered.html
    assert "314159" in record["text"] and "314159" in record["html"]
    assert record["received_at"]


async def test_outbox_page_sees_emails_and_sms_together_newest_first(tmp_path):
    store = tmp_path / "outbox"
    with SmtpSink("127.0.0.1", free_port(), store) as sink:
        settings = SmtpSettings(host="127.0.0.1", port=sink.port, from_address="noreply@tqr.example.cn")
        message = build_email_message(settings, "a@example.com", render(CODE_EVENT, "email"))
        await aiosmtplib.send(message, hostname="127.0.0.1", port=sink.port, start_tls=False)
        sms = DevSmsProvider(
            store, clock=ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
        )  # older than the email
        await sms.send("13812345678", render(CODE_EVENT, "sms").text)
    records = read_outbox(store, limit=10)
    assert [r["kind"] for r in records] == ["email", "sms"]
    assert "314159" in records[1]["text"] and records[1]["to"] == "13812345678"
    assert [r["kind"] for r in read_outbox(store, limit=1)] == ["email"]


async def test_dev_outbox_runs_as_a_module_from_the_command_line(tmp_path):
    port = free_port()
    store = tmp_path / "var" / "outbox"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tqr_notification.channels.dev_outbox",
            "--port",
            str(port),
            "--dir",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        ready = process.stdout.readline()
        assert f":{port}" in ready, process.stderr.read()
        settings = SmtpSettings(host="127.0.0.1", port=port, from_address="noreply@tqr.example.cn")
        result = await SmtpEmailSender(settings).send("cli@example.com", render(CODE_EVENT, "email"))
        assert result.sent
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
    lines = Path(store / "emails.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["to"] == ["cli@example.com"]
