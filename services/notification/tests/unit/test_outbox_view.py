"""The development outbox as the gateway's page shows it: codes picked out of what the templates
render, newest first (the page gets this over DevOutboxService)."""

from __future__ import annotations

import json

import pytest
from tqr_notification.channels.outbox_files import read_outbox
from tqr_notification.domain.catalogue import CATALOGUE, Channel
from tqr_notification.domain.outbox_view import code_in, entry_of
from tqr_notification.domain.rendering import render

CODE = "tqr.identity.v1.VerificationCodeRequested"
CODE_CHANNELS = [Channel.SMS, Channel.ALTERNATIVE, Channel.EMAIL]
OTHER_PAIRS = [(event, channel) for event, spec in CATALOGUE.items() if event != CODE
               for channel in spec.channels]


@pytest.mark.parametrize("channel", CODE_CHANNELS, ids=lambda c: c.value)
@pytest.mark.parametrize("code", ["0418", "907215", "30000001"])
def test_the_code_is_found_in_every_code_template(channel, code, make):
    message = render(make(CODE, channel=f"CODE_CHANNEL_{channel.value.upper()}", code=code), channel)
    assert code_in(message.text) == code


@pytest.mark.parametrize(("event", "channel"), OTHER_PAIRS, ids=[f"{e.rsplit('.', 1)[1]}-{c}" for e, c in OTHER_PAIRS])
def test_no_code_is_found_in_a_message_that_carries_none(event, channel, make):
    # Their texts hold numbers (application numbers, dates) and some name 验证码 in passing.
    message = render(make(event), channel)
    assert code_in(message.text) == ""
    assert code_in(message.subject or "") == ""


def test_outbox_records_are_read_newest_first_with_their_codes(tmp_path):
    lines = [{"kind": "sms", "channel": "sms", "to": "13800000000", "text": "您正在注册，验证码482913，5分钟内有效",
              "received_at": "2026-11-29T08:00:00+00:00"},
             {"kind": "email", "to": ["a@example.cn", "b@example.cn"], "subject": "注册验证码", "text": "验证码为：\n\n  777001",
              "received_at": "2026-11-29T09:00:00+00:00"},
             {"kind": "sms", "channel": "alternative", "to": "13800000001", "text": "您的申请已提交",
              "received_at": "2026-11-29T08:30:00"}]  # no offset: read as UTC
    (tmp_path / "sms.jsonl").write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in (lines[0], lines[2])))
    (tmp_path / "emails.jsonl").write_text(json.dumps(lines[1], ensure_ascii=False) + "\n")
    entries = [entry_of(r) for r in read_outbox(tmp_path)]
    assert [(e.kind, e.channel, e.recipients, e.code) for e in entries] == [
        ("email", "", ("a@example.cn", "b@example.cn"), "777001"),
        ("sms", "alternative", ("13800000001",), ""),
        ("sms", "sms", ("13800000000",), "482913"),
    ]
    assert entries[0].subject == "注册验证码" and entries[2].text == lines[0]["text"]
    assert [e.received_at.isoformat() for e in entries if e.received_at] == [
        "2026-11-29T09:00:00+00:00", "2026-11-29T08:30:00+00:00", "2026-11-29T08:00:00+00:00"]


def test_a_record_without_a_readable_time_has_none():
    assert entry_of({"kind": "sms", "to": "1", "text": "x", "received_at": "soon"}).received_at is None
