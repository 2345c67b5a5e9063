"""A small service made of the real servicekit parts, for testing the bus, outbox and inbox.

Its one effect: an AccountRegistered event inserts a row into ``effects``; a name starting with
"fail" makes the handler raise, and a name starting with "slow" makes it sleep first.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import aio_pika
from servicekit import db
from servicekit.bus.consumer import Consumer, EventContext, Subscription, subscriptions
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology
from servicekit.outbox import OutboxRelay, OutboxWriter
from servicekit.tables import inbox_table, outbox_table
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from tqr.identity.v1.events_pb2 import AccountRegistered

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
effects = Table(
    "effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("name", String(100), nullable=False),
    Column("correlation_id", String(64), nullable=False),
)


async def record_effect(ctx: EventContext, event: AccountRegistered) -> None:
    marker = os.environ.get("TQR_TEST_HANG_MARKER")
    if marker:  # set only in the consumer process a test is about to kill
        Path(marker).write_text(ctx.envelope.event_id)
        await asyncio.sleep(120)
    if event.name.startswith("slow"):
        await asyncio.sleep(float(event.account_id or 2))
    if event.name.startswith("fail"):
        raise RuntimeError("this handler always fails")
    await ctx.session.execute(
        effects.insert().values(
            event_id=ctx.envelope.event_id, name=event.name, correlation_id=ctx.envelope.correlation_id
        )
    )


REGISTRY = subscriptions(Subscription(AccountRegistered, record_effect))


async def create_schema(url: str) -> AsyncEngine:
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return engine


@dataclass
class Bus:
    connection: aio_pika.abc.AbstractRobustConnection
    topology: Topology
    publisher: Publisher


async def open_bus(amqp_url: str, queue_prefix: str) -> Bus:
    connection = await aio_pika.connect_robust(amqp_url, heartbeat=5)
    topology = Topology(exchange=f"{queue_prefix}events", queue_prefix=queue_prefix)
    publisher = Publisher(connection, topology, "identity")  # AccountRegistered is identity's
    await publisher.start()
    return Bus(connection, topology, publisher)


def make_consumer(bus: Bus, sessions: async_sessionmaker[AsyncSession], name: str = "tester",
                  delivery_limit: int = 3) -> Consumer:
    return Consumer(service=name, connection=bus.connection, topology=bus.topology, registry=REGISTRY,
                    sessions=sessions, inbox=inbox, delivery_limit=delivery_limit, prefetch=8)


def make_relay(bus: Bus, sessions: async_sessionmaker[AsyncSession]) -> OutboxRelay:
    return OutboxRelay("test", sessions, outbox, bus.publisher, poll_seconds=0.1)


async def stage(sessions: async_sessionmaker[AsyncSession], name: str, *, commit: bool = True,
                account_id: str = "") -> str:
    writer = OutboxWriter(outbox, "identity")
    async with sessions() as session:
        async with session.begin():
            event_id = await writer.stage(session, AccountRegistered(account_id=account_id, name=name),
                                          aggregate_id="a1")
            if not commit:
                await session.rollback()
    return event_id


async def effect_names(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list((await session.scalars(select(effects.c.name).order_by(effects.c.id))).all())


async def unpublished(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))) or 0)


async def _serve_forever(db_url: str, amqp_url: str, queue_prefix: str) -> None:
    """Entry point of a consumer in its own process (``python -m tests.foundation.harness``)."""
    engine = harness_engine = db.create_engine(db_url)
    bus = await open_bus(amqp_url, queue_prefix)
    consumer = make_consumer(bus, db.sessionmaker(harness_engine))
    await consumer.start()
    print("consuming", flush=True)
    await asyncio.Event().wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_serve_forever(*sys.argv[1:4]))
