"""The development outbox as people read it: each kept message with the verification code it
carries picked out, so a newcomer finds the code at a glance.

The code follows the word 验证码 in every code template of this service (SMS, email, alternative
channel); a test renders each of them and finds the code it was given, so a change of wording that
hides the code fails here, next to the templates, and not on the gateway's page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CODE_PATTERN = re.compile(r"验证码[^0-9]{0,12}?(\d{4,8})(?!\d)", re.S)


def code_in(text: str) -> str:
    """The verification code in ``text``; "" when it carries none."""
    found = CODE_PATTERN.search(text)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class OutboxEntry:
    kind: str  # "email" or "sms"
    channel: str  # SMS only: "sms" or "alternative"
    recipients: tuple[str, ...]
    subject: str
    text: str
    code: str
    received_at: datetime | None  # None when the record's time cannot be read


def _received_at(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value or ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def entry_of(record: dict[str, Any]) -> OutboxEntry:
    """One record of the outbox files (``channels.outbox_files``) as it is shown."""
    to = record.get("to")
    recipients = tuple(str(r) for r in to) if isinstance(to, list) else ((str(to),) if to else ())
    text = str(record.get("text") or "")
    kind = str(record.get("kind") or "")
    return OutboxEntry(
        kind=kind,
        channel=str(record.get("channel") or "") if kind == "sms" else "",
        recipients=recipients,
        subject=str(record.get("subject") or ""),
        text=text,
        code=code_in(text),
        received_at=_received_at(record.get("received_at")),
    )
