"""The application service through a real PgBouncer in transaction mode (pool_mode=transaction).

PgBouncer lends a server connection to a client for one transaction, so the transactions of one
client connection run on different PostgreSQL backends one after the other. With
``APPLICATION_DB_POOLER=transaction`` the service's engine keeps nothing on a backend between two
transactions (servicekit.db): wizard steps (AUTOCOMMIT, no transaction of their own), submissions
and the outbox relay then work with four times as many client connections as PgBouncer has server
connections, and PostgreSQL never sees more connections than PgBouncer's pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from testkit import PG_ADMIN_URL
from testkit.pgbouncer import pgbouncer
from tqr_application.adapters import orm

SERVER_POOL = 3  # PgBouncer's default_pool_size: server connections for the service's database
APPLICANTS = 4 * SERVER_POOL  # wizards filled in at once, each on a client connection of its own


@pytest.fixture
async def pooled_app(pg_url: str, amqp_url: str, queue_prefix: str, tmp_path: Any, h: Any) -> AsyncIterator[Any]:
    with pgbouncer(pg_url, tmp_path, pool_size=SERVER_POOL) as bouncer:
        # The migrations go through PgBouncer as well: a whole upgrade is one transaction.
        async for app in h._start(bouncer.url, amqp_url, queue_prefix, db_pooler="transaction",
                                  db_pool_size=APPLICANTS, db_max_overflow=0):
            yield app


@dataclass
class Peak:
    most: int = 0


@asynccontextmanager
async def server_connections_watched(database: str) -> AsyncIterator[Peak]:
    """The most connections PostgreSQL had to ``database`` meanwhile (pg_stat_activity), seen over a
    direct connection to another database, so the watcher is not counted."""
    peak = Peak()
    watcher = await asyncpg.connect(PG_ADMIN_URL)
    stop = asyncio.Event()

    async def watch() -> None:
        while not stop.is_set():
            peak.most = max(peak.most, await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
                database))
            await asyncio.sleep(0.005)

    task = asyncio.create_task(watch())
    try:
        yield peak
    finally:
        stop.set()
        await task
        await watcher.close()


async def open_client_connections(engine: AsyncEngine, count: int) -> None:
    """Open ``count`` client connections at once and give them back to the engine's pool, so the
    steps below run on that many connections to PgBouncer (none of them holds a server connection
    while it waits here: PgBouncer lends one per transaction)."""
    async with AsyncExitStack() as stack:
        for _ in range(count):
            await stack.enter_async_context(engine.connect())
    pool: Any = engine.pool
    assert pool.checkedin() + pool.checkedout() == count  # the relay may hold one meanwhile


async def on_every_server_connection(engine: AsyncEngine, sql: str) -> dict[int, int]:
    """Run ``sql`` in ``SERVER_POOL`` transactions open at once: PgBouncer must give each its own
    server connection. The answer per backend process id."""
    everyone_in = asyncio.Barrier(SERVER_POOL)

    async def one() -> tuple[int, int]:
        async with engine.begin() as connection:
            pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            answer = (await connection.execute(text(sql))).scalar_one()
            await everyone_in.wait()  # keeps this server connection until the others have theirs
            return int(pid), int(answer)

    return dict(await asyncio.gather(*(one() for _ in range(SERVER_POOL))))


async def test_concurrent_wizards_through_pgbouncer_work_within_its_server_pool(pooled_app, h, pg_url):
    app = pooled_app
    database = make_url(pg_url).database
    assert database
    await open_client_connections(app.host.engine, APPLICANTS)

    async with server_connections_watched(database) as seen:
        filed = await asyncio.gather(*(app.submit_new(h.new_applicant()) for _ in range(APPLICANTS)))

    # Every wizard step and every submission went through (a statement run where it was not
    # prepared fails the call), and the outbox relay published each submission.
    assert len({done.application_number for done in filed} - {""}) == APPLICANTS
    assert await app.count(orm.applications) == APPLICANTS
    for done in filed:
        assert await app.published("ApplicationSubmitted", done.application_id) == 1
    # PostgreSQL saw PgBouncer's server connections only, never one per client connection.
    assert 0 < seen.most <= SERVER_POOL
    # And nothing was left prepared on them for a later transaction of another client to trip over.
    prepared = await on_every_server_connection(app.host.engine, "SELECT count(*) FROM pg_prepared_statements")
    assert len(prepared) == SERVER_POOL
    assert set(prepared.values()) == {0}, prepared
