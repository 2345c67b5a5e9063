"""The transactional outbox and its relay, on SQLite and on PostgreSQL, against the real broker."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from servicekit import db
from servicekit.host import HostParts, ServiceHost
from servicekit.outbox import OutboxRelay
from servicekit.service_settings import ServiceSettings
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
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


async def test_a_hosts_relay_counts_its_backlog_without_a_transaction(pg_url, amqp_url, queue_prefix):
    """The backlog gauge's count runs on every poll of every replica: the host gives the relay a
    reading session for it, so it goes alone, without a BEGIN before it and a ROLLBACK after."""
    engine = await harness.create_schema(pg_url)
    await engine.dispose()
    settings = ServiceSettings(grpc_port=0, metrics_port=-1, database_url=pg_url, amqp_url=amqp_url,
                               exchange=f"{queue_prefix}events", queue_prefix=queue_prefix, outbox_poll_seconds=0.05)
    host = ServiceHost(settings, HostParts(name="probe", engine=db.create_engine(pg_url), outbox=harness.outbox))
    with queries_by_connection(host.engine) as connections:
        await host.start()
        try:
            await wait_for(lambda: _backlog_counts(connections) >= 3, timeout=10, what="three backlog counts")
        finally:
            await host.stop()
    for queries in connections.values():
        for i, query in enumerate(queries):
            if _is_backlog_count(query):
                # asyncpg's adapter sends BEGIN on the statement's way out, and the close sends ROLLBACK.
                following = list(itertools.takewhile(_is_transaction_control, queries[i + 1:]))
                assert following == [], queries[i:i + 3]


TRANSACTION_CONTROL = ("BEGIN", "ROLLBACK", "COMMIT")


def _is_transaction_control(query: str) -> bool:
    return query.lstrip().upper().startswith(TRANSACTION_CONTROL)


def _is_backlog_count(query: str) -> bool:
    return "count(*)" in query and "min(" in query


def _backlog_counts(connections: dict[int, list[str]]) -> int:
    return sum(_is_backlog_count(q) for queries in list(connections.values()) for q in queries)


@contextmanager
def queries_by_connection(engine: AsyncEngine) -> Iterator[dict[int, list[str]]]:
    """What the engine's connections are sent, in order, by connection: SQLAlchemy's statements (its
    cursor events: asyncpg's query logger does not see its prepared statements) and the transaction
    control asyncpg's adapter sends (the query logger of each connection the pool hands out)."""
    connections: dict[int, list[str]] = {}
    watched: list[Any] = []

    def statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        connections.setdefault(id(conn.connection.driver_connection), []).append(sql)

    def watch(dbapi_connection: Any, *_: Any) -> None:
        driver = dbapi_connection.driver_connection
        if driver not in watched:
            queries = connections.setdefault(id(driver), [])
            driver.add_query_logger(lambda logged: queries.append(logged.query))
            watched.append(driver)

    event.listen(engine.sync_engine, "before_cursor_execute", statement)
    event.listen(engine.sync_engine, "checkout", watch)
    try:
        yield connections
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", statement)
        event.remove(engine.sync_engine, "checkout", watch)
