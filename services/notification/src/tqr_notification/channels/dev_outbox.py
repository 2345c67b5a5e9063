"""The development outbox: an SMTP server that delivers nowhere and keeps every email on disk.

Point the service's SMTP settings at it (no TLS, no login) and read what was "sent" on the
gateway's development outbox page, so a newcomer can finish registration with the code found there.
Each email becomes one JSON line in ``<store_dir>/emails.jsonl``:
``{"kind": "email", "to": [...], "from": ..., "subject": ..., "text": ..., "html": ...,
"received_at": ...}``; SMS from ``DevSmsProvider`` land next to it in ``sms.jsonl``.

Run it with ``python -m tqr_notification.channels.dev_outbox --port 1025 --dir var/outbox``.
Development only: the files hold verification codes in clear.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import FrameType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from servicekit.clock import Clock, SystemClock

from tqr_notification.channels.outbox_files import EMAIL_OUTBOX_FILE, append_record

logger = logging.getLogger(__name__)


def _part_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    content = part.get_content()
    # SMTP carries CRLF line ends; the outbox page shows what was rendered.
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


def parse_email(raw: bytes, recipients: list[str], received_at: datetime) -> dict[str, Any]:
    """One outbox record from the raw message; headers are decoded (RFC 2047) to Unicode."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return {
        "kind": "email",
        "to": list(recipients),
        "from": str(message.get("From", "")),
        "subject": str(message.get("Subject", "")),
        "text": _part_text(message, "plain"),
        "html": _part_text(message, "html"),
        "message_id": str(message.get("Message-ID", "")),
        "received_at": received_at.isoformat(),
    }


class OutboxHandler:
    """aiosmtpd handler: accept everything, append it to the outbox file."""

    def __init__(self, store_dir: Path, clock: Clock | None = None) -> None:
        self.path = store_dir / EMAIL_OUTBOX_FILE
        self._clock = clock or SystemClock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw).encode("utf-8")
        record = parse_email(raw, list(envelope.rcpt_tos), self._clock.now())
        append_record(self.path, record)
        logger.info("outbox stored an email", extra={"recipients": len(record["to"])})
        return "250 Message accepted for delivery"


class SmtpSink:
    """The outbox SMTP server, running in its own thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 1025,
        store_dir: Path | str = "var/outbox",
        *,
        clock: Clock | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.store_dir = Path(store_dir)
        self.handler = OutboxHandler(self.store_dir, clock)
        self._controller = Controller(
            self.handler,
            hostname=host,
            port=self.port,
            enable_SMTPUTF8=True,
            data_size_limit=10 * 1024 * 1024,
        )

    def start(self) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Development SMTP outbox: stores every email as JSON lines.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default="var/outbox", help="directory of emails.jsonl and sms.jsonl")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    sink = SmtpSink(args.host, args.port, args.dir)
    sink.start()
    # The ready line lets scripts (and tests) wait for the server instead of sleeping.
    print(f"dev outbox listening on {sink.host}:{sink.port}, storing in {sink.store_dir}", flush=True)
    try:
        stop.wait()
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
