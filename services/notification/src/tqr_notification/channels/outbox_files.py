"""The development outbox on disk: one JSON object per line, emails and SMS in separate files.

Written by ``dev_outbox.SmtpSink`` (emails) and ``sms.DevSmsProvider`` (SMS and the alternative
code channel); read through ``read_outbox`` by DevOutboxService, which the gateway's development
outbox page calls. Development only: these files hold message text, verification codes included, in
clear.
"""

from __future__ import annotations

import json
import os
import threading
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EMAIL_OUTBOX_FILE = "emails.jsonl"
SMS_OUTBOX_FILE = "sms.jsonl"

_write_lock = threading.Lock()


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one line; a single write with O_APPEND keeps lines whole across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    with _write_lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


def _read_tail(path: Path, limit: int) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    tail: deque[dict[str, Any]] = deque(maxlen=limit)
    # errors="replace": the last line may be half written, cut inside a multi-byte character.
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line still being written by another process
            if isinstance(record, dict):
                tail.append(record)
    return list(tail)


_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


def _received_at(record: dict[str, Any]) -> datetime:
    try:
        moment = datetime.fromisoformat(str(record.get("received_at", "")))
    except ValueError:
        return _LONG_AGO
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_outbox(path: str | Path, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``limit`` records, newest first.

    ``path`` is either one outbox file or the outbox directory, in which case emails and SMS are
    merged. Every record has ``kind`` ("email" or "sms") and ``received_at`` (ISO-8601, UTC).
    """
    if limit < 1:
        return []
    target = Path(path)
    if target.is_dir():
        records = _read_tail(target / EMAIL_OUTBOX_FILE, limit) + _read_tail(target / SMS_OUTBOX_FILE, limit)
    else:
        records = _read_tail(target, limit)
    records.sort(key=_received_at, reverse=True)
    return records[:limit]
