"""The transactional outbox and its relay, on SQLite and on PostgreSQL, against the real broker."""

from __future__ import annotations

import asyncio

from servicekit import db
from servicekit.outbox import OutboxRelay
from testkit import wait_for

from tests.foundation import harness


async def test_event_whose_transaction_rolls_back_is_never_delivered(db_url, amqp_url, queue_prefix):
    engine = await harness.create_schema(db_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()
    relay = harness.make_relay(bus, sessions)
    relay.start()
    try:
        await harness.stage(sessions, "rolled-back", commit=False)
        await harness.stage(sessions, "committed")
        await wait_for(lambda: harness.effect_names(sessions), what="the committed event")
        await asyncio.sleep(0.5)  # time enough for a wrongly delivered event to arrive too
        assert await harness.effect_names(sessions) == ["committed"]
    finally:
        await relay.stop()
        await consumer.stop()
        await bus.connection.close()
        await engine.dispose()


async def test_relay_killed_after_commit_before_publish_delivers_after_restart(db_url, amqp_url, queue_prefix):
    engine = await harness.create_schema(db_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()
    try:
        # The state a crash leaves behind: committed rows that no relay has published yet.
        for name in ("first", "second"):
            await harness.stage(sessions, name)
        assert await harness.unpublished(sessions) == 2
        relay = harness.make_relay(bus, sessions)  # the restarted process re-scans the table
        relay.start()
        await wait_for(lambda: _count_is(sessions, 2), what="both events")
        await relay.stop()
        # Both arrive; in which order is not promised (the consumer handles a prefetch at once).
        assert sorted(await harness.effect_names(sessions)) == ["first", "second"]
        assert await harness.unpublished(sessions) == 0
    finally:
        await consumer.stop()
        await bus.connection.close()
        await engine.dispose()


async def test_relay_crash_between_publish_and_mark_is_applied_once(db_url, amqp_url, queue_prefix):
    """The broker has the event but the row was not marked: it goes out twice, applies once."""
    engine = await harness.create_schema(db_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()

    class CrashAfterPublish:
        async def publish(self, body, **kwargs):
            await bus.publisher.publish(body, **kwargs)
            raise ConnectionError("process died before marking the row")

    try:
        await harness.stage(sessions, "once")
        crashing = harness.make_relay(bus, sessions)
        crashing.publisher = CrashAfterPublish()
        await crashing.publish_pending()
        assert await harness.unpublished(sessions) == 1
        await harness.make_relay(bus, sessions).publish_pending()
        assert await harness.unpublished(sessions) == 0
        await wait_for(lambda: harness.effect_names(sessions), what="the event")
        await asyncio.sleep(0.5)  # let the second copy arrive
        assert await harness.effect_names(sessions) == ["once"]
    finally:
        await consumer.stop()
        await bus.connection.close()
        await engine.dispose()


async def _count_is(sessions, n: int) -> bool:
    return len(await harness.effect_names(sessions)) == n


async def test_a_commit_during_a_relay_pass_is_published_without_waiting_for_the_poll(db_url, amqp_url,
                                                                                      queue_prefix):
    """The nudge of a commit that lands while the relay is publishing starts another pass at once."""
    engine = await harness.create_schema(db_url)
    sessions = db.sessionmaker(engine)
    bus = await harness.open_bus(amqp_url, queue_prefix)
    consumer = harness.make_consumer(bus, sessions)
    await consumer.start()  # its queue makes the events routable
    relay = OutboxRelay("test", sessions, harness.outbox, bus.publisher, poll_seconds=30)
    staged_during_pass: list[str] = []

    class CommitsWhilePublishing:
        async def publish(self, body, **kwargs):
            await bus.publisher.publish(body, **kwargs)
            if not staged_during_pass:  # another request commits an event while this pass runs
                staged_during_pass.append(await harness.stage(sessions, "second"))
                relay.nudge()

    relay.publisher = CommitsWhilePublishing()
    try:
        await harness.stage(sessions, "first")
        relay.start()
        relay.nudge()
        # Far less than the 30 s poll: only a nudge that was kept can explain it.
        await wait_for(lambda: _none_unpublished(sessions), timeout=5, what="both events published")
        assert staged_during_pass
    finally:
        await relay.stop()
        await consumer.stop()
        await bus.connection.close()
        await engine.dispose()


async def _none_unpublished(sessions) -> bool:
    return await harness.unpublished(sessions) == 0


class _DatabaseAway(OutboxRelay):
    """A relay whose passes fail until ``back`` is set, as while the database is unreachable."""

    def __init__(self) -> None:
        super().__init__("probe", sessions=None, table=None, publisher=None, poll_seconds=0.5)  # type: ignore[arg-type]
        self.failed = 0
        self.back = False
        self.passed = asyncio.Event()

    async def publish_pending(self) -> int:
        if not self.back:
            self.failed += 1
            raise ConnectionRefusedError("the database is away")
        self.passed.set()
        return 0

    async def _record_backlog(self) -> None:
        return None


async def test_relay_outlives_a_long_outage_and_publishes_again_when_the_database_returns():
    relay = _DatabaseAway()
    relay.start()

    async def nudge_until(failures: int) -> None:  # each nudge skips one back-off pause
        while relay.failed < failures and relay._task is not None and not relay._task.done():
            relay.nudge()
            await asyncio.sleep(0)

    try:
        # More failed passes in a row than an hour and a half of outage brings (5 s apart).
        await asyncio.wait_for(nudge_until(1100), timeout=60)
        assert relay._task is not None and not relay._task.done(), relay._task.exception()
        relay.back = True
        relay.nudge()
        await asyncio.wait_for(relay.passed.wait(), timeout=30)
    finally:
        await relay.stop()
