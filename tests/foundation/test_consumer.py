"""Idempotent consumers, dead-lettering and broker restarts, against the real RabbitMQ."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import aio_pika
import pytest
from aio_pika.exceptions import DeliveryError, PublishError
from servicekit import db
from testkit import wait_for

from tests.foundation import harness
from tools.loadtest.broker import PrivateRabbit


async def _dead_lettered(bus: harness.Bus, consumer: str = "tester") -> list[aio_pika.abc.AbstractIncomingMessage]:
    channel = await bus.connection.channel()
    queue = await channel.get_queue(bus.topology.dead_letter_queue_name(consumer), ensure=True)
    found = []
    while (message := await queue.get(fail=False, no_ack=True)) is not None:
        found.append(message)
    await channel.close()
    return found


async def test_consumer_killed_mid_handling_gets_the_message_again_and_applies_it_once(pg_url, amqp_url, queue_prefix, tmp_path):
    engine = await harness.create_schema(pg_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    marker = tmp_path / "in-handler"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.foundation.harness", pg_url, amqp_url, queue_prefix],
        env={**os.environ, "TQR_TEST_HANG_MARKER": str(marker)}, stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout=30)
        event_id = await harness.stage(sessions, "survives-a-kill")
        await harness.make_relay(bus, sessions).publish_pending()
        await wait_for(marker.exists, timeout=20, what="the handler to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert await harness.effect_names(sessions) == []  # the killed handler's transaction died with it

        consumer = harness.make_consumer(bus, sessions)  # the restarted consumer
        await consumer.start()
        await wait_for(lambda: harness.effect_names(sessions), timeout=20, what="redelivery")
        await asyncio.sleep(0.5)
        await consumer.stop()
        assert await harness.effect_names(sessions) == ["survives-a-kill"]
        assert marker.read_text() == event_id
    finally:
        if proc.poll() is None:
            proc.kill()
        await bus.connection.close()
        await engine.dispose()


async def test_message_that_always_fails_is_dead_lettered_and_the_queue_keeps_draining(sqlite_url, amqp_url, queue_prefix):
    engine = await harness.create_schema(sqlite_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions, delivery_limit=3)
    await consumer.start()
    try:
        for name in ("fail-always", "ok-1", "ok-2"):
            await harness.stage(sessions, name)
        await harness.make_relay(bus, sessions).publish_pending()
        await wait_for(lambda: _names_are(sessions, ["ok-1", "ok-2"]), timeout=20, what="the good events")
        parked = await wait_for(lambda: _dead_lettered(bus), timeout=20, what="the dead-lettered event")
        assert len(parked) == 1
        assert parked[0].type == "tqr.identity.v1.AccountRegistered"
        # Parked by the broker because the delivery limit ran out, not dropped by the consumer.
        assert parked[0].headers["x-death"][0]["reason"] == "delivery_limit"
    finally:
        await consumer.stop()
        await bus.connection.close()
        await engine.dispose()


async def test_malformed_message_is_parked_without_stopping_the_consumer(sqlite_url, amqp_url, queue_prefix):
    engine = await harness.create_schema(sqlite_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()
    try:
        await bus.publisher.publish(b"\xff not an envelope", event_type="tqr.identity.v1.AccountRegistered",
                                    event_id="bad-1", correlation_id="c1")
        await harness.stage(sessions, "after-the-bad-one")
        await harness.make_relay(bus, sessions).publish_pending()
        await wait_for(lambda: harness.effect_names(sessions), what="the good event")
        parked = await wait_for(lambda: _dead_lettered(bus), what="the malformed message")
        assert [m.message_id for m in parked] == ["bad-1"]
    finally:
        await consumer.stop()
        await bus.connection.close()
        await engine.dispose()


async def test_unroutable_publish_is_an_error_not_silence(amqp_url, queue_prefix):
    bus = await harness.open_bus(amqp_url, queue_prefix)
    try:
        with pytest.raises((DeliveryError, PublishError)):
            await bus.publisher.publish(b"x", event_type="tqr.nobody.v1.Listens", event_id="e1", correlation_id="")
    finally:
        await bus.connection.close()


@pytest.fixture
def private_rabbit() -> Iterator[PrivateRabbit]:
    """A RabbitMQ node of this test's own to restart: stopping the machine's broker cut the
    connections of every test running at that moment (the outage test beside the main run's)."""
    with PrivateRabbit.running() as rabbit:
        yield rabbit


@pytest.mark.slow
async def test_after_rabbitmq_restarts_consumers_reconnect_and_nothing_confirmed_is_lost(
        pg_url, amqp_url, queue_prefix, private_rabbit):
    engine = await harness.create_schema(pg_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(f"{private_rabbit.amqp_base}/", queue_prefix)
    bystander = await aio_pika.connect(amqp_url)  # another test's channel on the machine's broker
    bystanders_channel = await bystander.channel()
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()
    relay = harness.make_relay(bus, sessions)
    relay.start()
    try:
        for i in range(5):  # slow handlers: some are still queued when the broker stops
            await harness.stage(sessions, f"slow-before-{i}", account_id="0.3")
        await wait_for(lambda: _published(sessions, 5), what="confirms before the restart")
        await private_rabbit.stop_app()
        try:
            for i in range(5):
                await harness.stage(sessions, f"during-{i}")
        finally:
            await private_rabbit.start_app()
        await wait_for(lambda: _count(sessions, 10), timeout=90, interval=0.5, what="every event after the restart")
        await asyncio.sleep(1)
        names = await harness.effect_names(sessions)
        assert sorted(names) == sorted([f"slow-before-{i}" for i in range(5)] + [f"during-{i}" for i in range(5)])
        assert not bystanders_channel.is_closed  # the restart touched no other test's broker
    finally:
        await relay.stop()
        await consumer.stop()
        await bus.connection.close()
        await bystander.close()
        await engine.dispose()


async def _names_are(sessions, expected: list[str]) -> bool:
    return sorted(await harness.effect_names(sessions)) == sorted(expected)


async def _count(sessions, n: int) -> bool:
    return len(await harness.effect_names(sessions)) >= n


async def _published(sessions, n: int) -> bool:
    return await harness.unpublished(sessions) == 0


async def test_dlq_replay_lists_then_republishes_parked_messages(sqlite_url, amqp_url, queue_prefix, capsys):
    from servicekit.dlq import drain

    engine = await harness.create_schema(sqlite_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()
    try:
        await bus.publisher.publish(b"garbage-1", event_type="tqr.identity.v1.AccountRegistered",
                                    event_id="bad-1", correlation_id="c1")
        await bus.publisher.publish(b"garbage-2", event_type="tqr.identity.v1.AccountRegistered",
                                    event_id="bad-2", correlation_id="c2")
        await wait_for(lambda: _dlq_depth(bus, 2), what="two parked messages")
        assert await drain(amqp_url, bus.topology, "tester", replay=False, limit=100) == 2
        assert "bad-1" in capsys.readouterr().out
        await consumer.stop()  # replayed messages wait in the main queue
        assert await drain(amqp_url, bus.topology, "tester", replay=True, limit=100) == 2
        channel = await bus.connection.channel()
        queue = await channel.get_queue(bus.topology.queue_name("tester"), ensure=True)
        replayed = await wait_for(lambda: queue.get(fail=False, no_ack=True), what="a replayed message")
        assert replayed.message_id in {"bad-1", "bad-2"}
        await channel.close()
    finally:
        await bus.connection.close()
        await engine.dispose()


async def _dlq_depth(bus: harness.Bus, n: int) -> bool:
    channel = await bus.connection.channel()
    queue = await channel.declare_queue(bus.topology.dead_letter_queue_name("tester"), passive=True)
    depth = queue.declaration_result.message_count
    await channel.close()
    return depth >= n
