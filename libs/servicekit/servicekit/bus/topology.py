"""Exchanges and queues, declared by the side that owns them.

- One durable topic exchange for every event; the routing key is the event's full protobuf name.
- Each consuming service has a durable quorum queue ``<prefix><consumer>.events`` with an explicit
  delivery limit; a message redelivered past it is dead-lettered to ``<queue>.dlq`` through the
  dead-letter exchange.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue


@dataclass(frozen=True)
class Topology:
    exchange: str = "tqr.events"
    queue_prefix: str = ""  # tests and parallel environments isolate themselves with a prefix

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dlx"

    def queue_name(self, consumer: str) -> str:
        return f"{self.queue_prefix}{consumer}.events"

    def dead_letter_queue_name(self, consumer: str) -> str:
        return f"{self.queue_name(consumer)}.dlq"


async def declare_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_consumer_queue(
    channel: AbstractChannel,
    topology: Topology,
    consumer: str,
    event_types: list[str],
    delivery_limit: int,
) -> AbstractQueue:
    exchange = await declare_exchange(channel, topology)
    dlx = await channel.declare_exchange(
        topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )
    dlq_name = topology.dead_letter_queue_name(consumer)
    dlq = await channel.declare_queue(dlq_name, durable=True, arguments={"x-queue-type": "quorum"})
    await dlq.bind(dlx, routing_key=dlq_name)
    queue = await channel.declare_queue(
        topology.queue_name(consumer),
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": topology.dead_letter_exchange,
            "x-dead-letter-routing-key": dlq_name,
        },
    )
    for event_type in event_types:
        await queue.bind(exchange, routing_key=event_type)
    return queue
