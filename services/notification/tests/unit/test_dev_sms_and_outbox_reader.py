from __future__ import annotations

import json
from datetime import UTC, datetime

from servicekit.clock import ManualClock
from tqr_notification.channels.outbox_files import EMAIL_OUTBOX_FILE, SMS_OUTBOX_FILE, read_outbox
from tqr_notification.channels.sms import DevSmsProvider


async def test_dev_provider_appends_json_lines_the_outbox_reader_returns_newest_first(tmp_path):
    clock = ManualClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    provider = DevSmsProvider(tmp_path, clock=clock)
    result = await provider.send("13812345678", "第一条", idempotency_key="k1")
    assert result.sent and result.provider_message_id
    clock.advance(seconds=5)
    await provider.send("13812345678", "第二条")
    lines = [json.loads(line) for line in (tmp_path / SMS_OUTBOX_FILE).read_text(encoding="utf-8").splitlines()]
    assert [line["text"] for line in lines] == ["第一条", "第二条"]
    assert lines[0]["to"] == "13812345678" and lines[0]["request_id"] == "k1"
    records = read_outbox(tmp_path, limit=10)
    assert [r["text"] for r in records] == ["第二条", "第一条"]
    assert all(r["kind"] == "sms" for r in records)


def test_reader_merges_emails_and_sms_limits_and_skips_half_written_lines(tmp_path):
    (tmp_path / EMAIL_OUTBOX_FILE).write_text(
        json.dumps({"kind": "email", "subject": "a", "received_at": "2026-03-01T01:00:02+00:00"})
        + "\n"
        + '{"kind": "email", "subj',
        encoding="utf-8",
    )
    (tmp_path / SMS_OUTBOX_FILE).write_text(
        "\n".join(
            json.dumps({"kind": "sms", "text": t, "received_at": f"2026-03-01T01:00:0{i}+00:00"})
            for i, t in ((1, "x"), (3, "y"))
        )
        + "\n",
        encoding="utf-8",
    )
    assert [r.get("subject") or r.get("text") for r in read_outbox(tmp_path, 10)] == ["y", "a", "x"]
    assert len(read_outbox(tmp_path, 2)) == 2
    assert read_outbox(tmp_path / SMS_OUTBOX_FILE, 1)[0]["text"] == "y"
    assert read_outbox(tmp_path / "nothing-here", 5) == []
