"""Persistent, mandatory, confirmed publishes: an unroutable or unconfirmed event is an error."""

from __future__ import annotations

from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from servicekit.bus.topology import Topology, declare_exchange

CONTENT_TYPE = "application/x-protobuf"


class Publisher:
    def __init__(self, connection: AbstractRobustConnection, topology: Topology, producer: str) -> None:
        self.connection = connection
        self.topology = topology
        self.producer = producer
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def start(self) -> None:
        # on_return_raises: a mandatory message no queue is bound for raises instead of vanishing.
        self._channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await declare_exchange(self._channel, self.topology)

    async def publish(
        self, body: bytes, *, event_type: str, event_id: str, correlation_id: str, timeout: float = 10.0
    ) -> None:
        if self._exchange is None:
            raise RuntimeError("Publisher.start() was not awaited")
        message = aio_pika.Message(
            body,
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event_id,
            correlation_id=correlation_id or None,
            type=event_type,
            app_id=self.producer,
            timestamp=datetime.now(UTC),
            headers={"x-correlation-id": correlation_id, "x-producer": self.producer},
        )
        await self._exchange.publish(message, routing_key=event_type, mandatory=True, timeout=timeout)

    async def close(self) -> None:
        if self._channel and not self._channel.is_closed:
            await self._channel.close()
