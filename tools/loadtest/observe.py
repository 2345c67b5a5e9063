"""What the databases and the development outbox say after (and during) a run.

- ``OutboxSampler``: every second, the unpublished rows and the oldest one's age in each producer's
  outbox (identity, application): the outbox lag while the load runs.
- ``audit``: for the submissions the clients saw accepted — is each one stored exactly once
  (no loss, no duplicate), did each get exactly one email and one SMS "application submitted" (rows
  in the notification database and lines in the outbox files), and how long from the submission to
  the moment the last of its messages was sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from tools.loadtest.journey import Outcome
from tools.loadtest.stats import summary

SUBMITTED_EVENT = "tqr.application.v1.ApplicationSubmitted"
SENT_CHANNELS = ("email", "sms")


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@dataclass
class OutboxSampler:
    database_urls: dict[str, str]  # producer → URL
    samples: list[dict[str, Any]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        connections = {name: await asyncpg.connect(_dsn(url)) for name, url in self.database_urls.items()}
        try:
            while True:
                for name, connection in connections.items():
                    try:
                        row = await connection.fetchrow(
                            "SELECT count(*) AS backlog, "
                            "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest "
                            "FROM outbox WHERE published_at IS NULL")
                    except (asyncpg.PostgresError, OSError):
                        connections[name] = await _reconnect(self.database_urls[name])
                        continue
                    self.samples.append({"producer": name, "at": time.monotonic(), "backlog": row["backlog"],
                                         "oldest_seconds": float(row["oldest"])})
                await asyncio.sleep(1.0)
        finally:
            for connection in connections.values():
                await connection.close()

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def stop(self) -> dict[str, Any]:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if not self.samples:
            return {"max_backlog": 0, "max_oldest_seconds": 0.0}
        return {"max_backlog": max(s["backlog"] for s in self.samples),
                "max_oldest_seconds": round(max(s["oldest_seconds"] for s in self.samples), 3)}


async def _reconnect(url: str) -> asyncpg.Connection:
    while True:
        try:
            return await asyncpg.connect(_dsn(url))
        except (asyncpg.PostgresError, OSError):
            await asyncio.sleep(0.5)


async def publish_lag(application_url: str, since: datetime) -> dict[str, Any]:
    """created → published of the application service's events written since ``since``."""
    connection = await asyncpg.connect(_dsn(application_url))
    try:
        rows = await connection.fetch(
            "SELECT extract(epoch FROM published_at - created_at) AS lag FROM outbox "
            "WHERE created_at >= $1 AND published_at IS NOT NULL", since)
        unpublished = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE created_at >= $1 AND published_at IS NULL", since)
    finally:
        await connection.close()
    return {**summary([float(r["lag"]) for r in rows]), "unpublished": unpublished}


@dataclass
class Audit:
    accepted: int
    stored: int
    lost: list[str]
    duplicated_applications: int  # applicants with more than one application
    deliveries_missing: int  # accepted submissions without a SENT email and SMS
    deliveries_duplicated: int  # (submission, channel) with more than one delivery row
    messages_sent_twice: int  # outbox lines: the same submission's message delivered twice on a channel
    notification_latency: dict[str, Any]
    resent_same_delivery: int = 0  # of those, one delivery row sent again (same Message-ID / request id)

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated_applications or self.deliveries_missing
                    or self.deliveries_duplicated or self.messages_sent_twice)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "stored": self.stored, "lost": len(self.lost),
                "duplicated_applications": self.duplicated_applications,
                "deliveries_missing": self.deliveries_missing, "deliveries_duplicated": self.deliveries_duplicated,
                "messages_sent_twice": self.messages_sent_twice, "resent_same_delivery": self.resent_same_delivery,
                "submit_to_notification_sent": self.notification_latency}


async def _deliveries(notification_url: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(_dsn(notification_url))
    try:
        return await connection.fetch(
            "SELECT recipient_id, channel, status, finished_at FROM deliveries WHERE event_type = $1",
            SUBMITTED_EVENT)
    finally:
        await connection.close()


async def wait_for_notifications(notification_url: str, outcomes: list[Outcome], timeout: float) -> None:
    """Until every accepted submission's email and SMS are SENT (or the time is up)."""
    wanted = {o.person.account_id for o in outcomes if o.accepted}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = await _deliveries(notification_url)
        done = {r["recipient_id"] for r in rows if r["status"] == "SENT" and r["channel"] == "email"} & \
               {r["recipient_id"] for r in rows if r["status"] == "SENT" and r["channel"] == "sms"}
        if wanted <= done:
            return
        await asyncio.sleep(0.5)


@dataclass(frozen=True)
class SentMessage:
    kind: str  # email | sms
    delivery_ref: str  # the email's Message-ID, the SMS's provider request id: one per delivery row
    content: str


def sent_messages(outbox: Path) -> list[SentMessage]:
    found = []
    for name in ("emails.jsonl", "sms.jsonl"):
        path = outbox / name
        if not path.is_file():
            continue
        for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            found.append(SentMessage(str(record.get("kind")), str(record.get("message_id") or "")
                                     if record.get("kind") == "email" else str(record.get("request_id") or ""),
                                     f"{record.get('subject', '')}|{record.get('text', '')}"))
    return found


async def audit(database_urls: dict[str, str], outbox: Path, outcomes: list[Outcome]) -> Audit:
    accepted = [o for o in outcomes if o.accepted]
    connection = await asyncpg.connect(_dsn(database_urls["application"]))
    try:
        rows = await connection.fetch("SELECT id, applicant_id, application_number FROM applications")
    finally:
        await connection.close()
    stored_ids = {r["id"] for r in rows}
    per_applicant = Counter(r["applicant_id"] for r in rows)
    ours = {o.person.account_id for o in outcomes}
    lost = [o.application_id for o in accepted if o.application_id not in stored_ids]

    deliveries = await _deliveries(database_urls["notification"])
    per_key = Counter((r["recipient_id"], r["channel"]) for r in deliveries)
    finished: dict[str, list[datetime]] = {}
    sent_both: dict[str, set[str]] = {}
    for r in deliveries:
        if r["status"] == "SENT" and r["channel"] in SENT_CHANNELS:
            finished.setdefault(r["recipient_id"], []).append(r["finished_at"])
            sent_both.setdefault(r["recipient_id"], set()).add(r["channel"])
    latencies = [(max(finished[o.person.account_id]) - o.submitted_at).total_seconds()
                 for o in accepted if o.submitted_at and o.person.account_id in finished]
    missing = sum(1 for o in accepted if sent_both.get(o.person.account_id, set()) != set(SENT_CHANNELS))

    messages = sent_messages(outbox)
    twice = resent = 0
    for o in accepted:
        mine = [m for m in messages if o.application_number in m.content]
        for kind, count in Counter(m.kind for m in mine).items():
            if count > 1:
                twice += 1
                refs = {m.delivery_ref for m in mine if m.kind == kind}
                resent += 1 if len(refs) == 1 and "" not in refs else 0
    return Audit(
        accepted=len(accepted), stored=sum(1 for o in accepted if o.application_id in stored_ids), lost=lost,
        duplicated_applications=sum(1 for a, n in per_applicant.items() if a in ours and n > 1),
        deliveries_missing=missing,
        deliveries_duplicated=sum(1 for (recipient, _), n in per_key.items() if recipient in ours and n > 1),
        messages_sent_twice=twice, notification_latency=summary(latencies), resent_same_delivery=resent,
    )
