"""Fixtures for running the real notification ServiceHost against real RabbitMQ, SMTP and Redis.

- ``smtp``: an aiosmtpd server on loopback that records every message and can be told to answer
  DATA with a 4xx a number of times, or to refuse some recipients.
- ``notification``: starts hosts in-process (gRPC on port 0, no metrics) on a migrated database,
  with their own exchange and queue prefix; publishes events to that exchange as identity and
  application would (servicekit Publisher + envelope.build); reads the delivery rows.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aio_pika
import grpc
import pytest
import tqr_notification
from aiosmtpd.controller import Controller
from google.protobuf.message import Message
from servicekit import db, envelope, migrations
from servicekit.bus.access import producer_of
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology
from servicekit.host import ServiceHost
from servicekit.sealing import DEV_KEYS, Sealer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from testkit import free_port
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import Role
from tqr.identity.v1 import events_pb2 as identity_events
from tqr.notification.v1 import notification_pb2_grpc
from tqr_notification.adapters.orm import deliveries, inbox
from tqr_notification.bootstrap import build_host
from tqr_notification.channels.sms import SmsProvider
from tqr_notification.config import NotificationSettings

MIGRATIONS = Path(tqr_notification.__file__).parent / "migrations"
CONTACTS = Sealer(DEV_KEYS, "recipient-contact")
CODE_DESTINATIONS = Sealer(DEV_KEYS, "code-destination")


@dataclass
class ReceivedEmail:
    to: list[str]
    message_id: str
    subject: str
    text: str


class RecordingSmtpHandler:
    def __init__(self) -> None:
        self.emails: list[ReceivedEmail] = []
        self.refuse: dict[str, str] = {}
        self.fail_data_times = 0
        self.data_attempts = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_attempts += 1
        if self.data_attempts <= self.fail_data_times:
            return "451 4.3.0 temporary local problem, try later"
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        body = parsed.get_body(("plain",))
        self.emails.append(ReceivedEmail(
            to=list(envelope.rcpt_tos), message_id=str(parsed["Message-ID"]), subject=str(parsed["Subject"]),
            text=body.get_content().replace("\r\n", "\n") if body is not None else "",
        ))
        return "250 2.0.0 queued as TQR-TEST"

    def to(self, address: str) -> list[ReceivedEmail]:
        return [email for email in self.emails if address in email.to]


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingSmtpHandler, int]]:
    handler = RecordingSmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


class SmsRecorder:
    """An SMS provider that keeps what it sent; ``fail_times`` transient failures come first."""

    def __init__(self, fail_times: int = 0) -> None:
        self.sent: list[dict[str, str | None]] = []
        self.fail_times = fail_times
        self.calls = 0

    async def send(self, phone: str, text: str, *, idempotency_key: str | None = None) -> Any:
        from tqr_notification.domain.delivery import DeliveryResult

        self.calls += 1
        if self.calls <= self.fail_times:
            return DeliveryResult.failed("HTTP 503: provider busy", transient=True)
        self.sent.append({"to": phone, "text": text, "request_id": idempotency_key})
        return DeliveryResult.delivered("HTTP 200: accepted", f"sms-{self.calls}")

    def to(self, phone: str) -> list[dict[str, str | None]]:
        return [sms for sms in self.sent if sms["to"] == phone]


def actor(subject_id: str, role: str = "APPLICANT") -> tuple[tuple[str, bytes], ...]:
    return metadata_for(Actor(subject_id=subject_id, role=Role.Value(f"ROLE_{role}")))


@dataclass
class NotificationRig:
    database_url: str
    amqp_url: str
    queue_prefix: str
    redis_prefix: str
    smtp_port: int
    outbox_dir: Path
    hosts: list[ServiceHost] = field(default_factory=list)
    engine: AsyncEngine | None = None
    connection: aio_pika.abc.AbstractRobustConnection | None = None
    publishers: dict[str, Publisher] = field(default_factory=dict)  # by producer

    @property
    def exchange(self) -> str:
        return f"{self.queue_prefix}events"

    def settings(self, **overrides: Any) -> NotificationSettings:
        values: dict[str, Any] = dict(
            environment="test", database_url=self.database_url, amqp_url=self.amqp_url,
            exchange=self.exchange, queue_prefix=self.queue_prefix, grpc_port=0, metrics_port=-1,
            drain_seconds=0.0, shutdown_grace_seconds=5.0, smtp_port=self.smtp_port,
            outbox_dir=str(self.outbox_dir), dev_smtp_sink=False, redis_key_prefix=self.redis_prefix.rstrip(":"),
            dispatch_poll_seconds=0.1, retry_base_seconds=0.05, retry_cap_seconds=0.2,
        )
        values.update(overrides)
        return NotificationSettings(**values)

    async def start(self, sms: SmsProvider | None = None, alternative: SmsProvider | None = None,
                    **overrides: Any) -> ServiceHost:
        host = build_host(self.settings(**overrides), sms_provider=sms, alternative_provider=alternative)
        await host.start()
        self.hosts.append(host)
        return host

    async def publish(self, message: Message, *, event_id: str | None = None,
                      occurred_at: datetime | None = None) -> str:
        """``message`` as the service that publishes its type would (servicekit.bus.access)."""
        producer = producer_of(message.DESCRIPTOR.full_name) or "nobody"
        if self.connection is None:
            self.connection = await aio_pika.connect_robust(self.amqp_url)
        if producer not in self.publishers:
            self.publishers[producer] = Publisher(self.connection, Topology(self.exchange, self.queue_prefix), producer)
            await self.publishers[producer].start()
        env = envelope.build(message, producer=producer, aggregate_id="agg", correlation_id=uuid.uuid4().hex,
                             occurred_at=occurred_at or datetime.now(UTC))
        if event_id:
            env.event_id = event_id
        await self.publishers[producer].publish(env.SerializeToString(), event_type=env.type, event_id=env.event_id,
                                     correlation_id=env.correlation_id)
        return env.event_id

    async def register(self, account_id: str, email: str, mobile: str, name: str = "张晓红") -> str:
        return await self.publish(identity_events.AccountRegistered(
            account_id=account_id, name=name, masked_document_number="1101**********123X",
            email_sealed=CONTACTS.seal(email), mobile_sealed=CONTACTS.seal(mobile),
        ))

    async def rows(self, **where: str) -> list[Any]:
        query = select(deliveries)
        for column, value in where.items():
            query = query.where(deliveries.c[column] == value)
        async with self.database().connect() as connection:
            return list((await connection.execute(query.order_by(deliveries.c.created_at))).all())

    async def handled(self, event_id: str) -> bool:
        """Whether a host has applied the event (the consumer's inbox records it in the same
        transaction as the effect). Events published together are handled concurrently, and one
        whose transaction lost a lock goes back to the queue: a test about their order waits."""
        async with self.database().connect() as connection:
            return (await connection.scalar(select(inbox.c.event_id).where(inbox.c.event_id == event_id))) is not None

    def database(self) -> AsyncEngine:
        """The engine the test reads the service's database with (made on first use)."""
        if self.engine is None:
            self.engine = db.create_engine(self.database_url)
        return self.engine

    def inbox(self, host: ServiceHost) -> notification_pb2_grpc.InboxServiceStub:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
        return notification_pb2_grpc.InboxServiceStub(channel)

    async def close(self) -> None:
        for host in reversed(self.hosts):
            await host.stop()
        if self.connection is not None:
            await self.connection.close()
        if self.engine is not None:
            await self.engine.dispose()


@pytest.fixture
async def rig_factory(amqp_url: str, queue_prefix: str, redis_prefix: str, smtp: tuple[RecordingSmtpHandler, int],
                      tmp_path: Path) -> AsyncIterator[Any]:
    made: list[NotificationRig] = []

    def make(database_url: str) -> NotificationRig:
        migrations.upgrade(MIGRATIONS, database_url)
        rig = NotificationRig(database_url, amqp_url, queue_prefix, redis_prefix, smtp[1], tmp_path / "outbox")
        made.append(rig)
        return rig

    yield make
    for rig in made:
        await rig.close()


@pytest.fixture
def h() -> Any:
    """This module's helpers (test modules cannot import conftest under --import-mode=importlib)."""
    import sys

    return sys.modules[__name__]
