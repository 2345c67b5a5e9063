"""An idempotent consumer: the event id is recorded in the consumer's own database in the same
transaction as the handler's effect, and the message is acknowledged only after that commit.

- A duplicate (a redelivery after a crash, or a re-publish by the relay) is acknowledged and skipped.
- A handler that raises is negatively acknowledged and redelivered; past the queue's delivery limit
  the broker parks it in the dead-letter queue, and the queue keeps draining the others.
- A body that is not an envelope is rejected straight to the dead-letter queue.
- So is a forged one: an envelope whose producer is not the one service that publishes its type
  (``servicekit.bus.access``), or whose type is not the routing key it was published with (the
  broker checked the publisher's right to the routing key, not to what the body says). It is never
  applied; it is counted with the outcome ``forged`` and logged with the reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from google.protobuf.message import Message
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqr.common.v1.envelope_pb2 import EventEnvelope

from servicekit import correlation, envelope, metrics
from servicekit.bus import access
from servicekit.bus.topology import Topology, declare_consumer_queue
from servicekit.clock import Clock, SystemClock

log = logging.getLogger(__name__)


@dataclass
class EventContext:
    """What a handler gets besides the event: the open transaction and the envelope."""

    session: AsyncSession
    envelope: EventEnvelope
    delivery_count: int


Handler = Callable[[EventContext, Any], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    message_class: type[Message]
    handler: Handler

    @property
    def event_type(self) -> str:
        return str(self.message_class.DESCRIPTOR.full_name)


def subscriptions(*items: Subscription) -> dict[str, Subscription]:
    """An explicit registry: event type → what handles it."""
    return {item.event_type: item for item in items}


class Consumer:
    def __init__(
        self,
        *,
        service: str,
        connection: AbstractRobustConnection,
        topology: Topology,
        registry: dict[str, Subscription],
        sessions: async_sessionmaker[AsyncSession],
        inbox: Table,
        delivery_limit: int = 3,
        prefetch: int = 16,
        clock: Clock | None = None,
        producer_of: Callable[[str], str | None] = access.producer_of,
    ) -> None:
        self.service = service
        self.connection = connection
        self.topology = topology
        self.registry = registry
        self.sessions = sessions
        self.inbox = inbox
        self.delivery_limit = delivery_limit
        self.prefetch = prefetch
        self.clock = clock or SystemClock()
        self.producer_of = producer_of
        self._channel: AbstractChannel | None = None
        self._queue: AbstractQueue | None = None
        self._tag: str | None = None
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def queue_name(self) -> str:
        return self.topology.queue_name(self.service)

    async def start(self) -> None:
        self._channel = await self.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._queue = await declare_consumer_queue(
            self._channel, self.topology, self.service, sorted(self.registry), self.delivery_limit
        )
        self._tag = await self._queue.consume(self._on_message)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking messages, let the ones in hand finish, then close the channel."""
        if self._queue is not None and self._tag is not None:
            try:
                await self._queue.cancel(self._tag)
            except Exception:
                log.warning("cancelling the consumer failed", exc_info=True)
        try:
            await asyncio.wait_for(self._idle.wait(), timeout=grace)
        except TimeoutError:
            log.warning("messages still in hand at shutdown; the broker will redeliver them")
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._handle(message)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        try:
            env = envelope.parse(message.body)
            subscription = self.registry[env.type]
            payload = envelope.unpack(env, subscription.message_class)
        except (envelope.MalformedEvent, KeyError):
            metrics.EVENTS_CONSUMED.labels(self.service, "unreadable", "malformed").inc()
            log.error("unreadable or unexpected message parked in the dead-letter queue",
                      extra={"message_id": message.message_id, "routing_key": message.routing_key})
            await message.reject(requeue=False)
            return
        forgery = self._forgery(message, env)
        if forgery:
            metrics.EVENTS_CONSUMED.labels(self.service, env.type, "forged").inc()
            log.error("forged event parked in the dead-letter queue: %s", forgery,
                      extra={"event_id": env.event_id[:64], "event_type": env.type,
                             "message_id": (message.message_id or "")[:64]})
            await message.reject(requeue=False)
            return

        delivery_count = int(str((message.headers or {}).get("x-delivery-count", 0) or 0))
        started = time.perf_counter()
        with correlation.bound(correlation.clean(env.correlation_id)):
            try:
                applied = await self._apply_once(env, payload, subscription, delivery_count)
            except Exception:
                metrics.EVENTS_CONSUMED.labels(self.service, env.type, "failed").inc()
                log.exception("handling failed; the broker will redeliver",
                              extra={"event_id": env.event_id, "event_type": env.type,
                                     "delivery_count": delivery_count})
                await message.nack(requeue=True)
                return
            outcome = "handled" if applied else "duplicate"
            metrics.EVENTS_CONSUMED.labels(self.service, env.type, outcome).inc()
            metrics.EVENT_HANDLING_DURATION.labels(self.service, env.type).observe(
                time.perf_counter() - started
            )
            log.info("event %s", outcome, extra={"event_id": env.event_id, "event_type": env.type})
            await message.ack()

    def _forgery(self, message: AbstractIncomingMessage, env: EventEnvelope) -> str | None:
        """Why the message does not come from the producer of its event type (None: it does)."""
        producer = self.producer_of(env.type)
        if producer is None:
            return f"no service publishes {env.type}"
        if message.routing_key != env.type:
            return f"published with the routing key {_shown(message.routing_key)}, not its type"
        claims = {"the envelope": env.producer, "the app_id": message.app_id,
                  "the x-producer header": (message.headers or {}).get("x-producer")}
        for where, claimed in claims.items():
            # The envelope must name the producer; the two copies outside it, when present, too.
            if (claimed is not None or where == "the envelope") and claimed != producer:
                return f"{where} names {_shown(claimed)} as producer; {env.type} comes from {producer}"
        return None

    async def _apply_once(
        self, env: EventEnvelope, payload: Message, subscription: Subscription, delivery_count: int
    ) -> bool:
        try:
            async with self.sessions() as session, session.begin():
                seen = await session.scalar(
                    select(self.inbox.c.event_id).where(self.inbox.c.event_id == env.event_id)
                )
                if seen:
                    return False
                await session.execute(
                    insert(self.inbox).values(
                        event_id=env.event_id, event_type=env.type, handled_at=self.clock.now()
                    )
                )
                await subscription.handler(EventContext(session, env, delivery_count), payload)
        except IntegrityError:
            # Another replica may have applied the same event at the same moment and won; any
            # other constraint failure is the handler's own and must be retried, not dropped.
            async with self.sessions() as session:
                if await session.scalar(
                    select(self.inbox.c.event_id).where(self.inbox.c.event_id == env.event_id)
                ):
                    return False
            raise
        return True


def _shown(value: object) -> str:
    """A value from the message, for a log line: quoted and cut short (it may be anything)."""
    return repr(str(value)[:64])
