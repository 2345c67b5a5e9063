"""Sessions that never hold a transaction are closed in the caller's task (servicekit.db).

SQLAlchemy closes a session at the end of ``async with`` in a task of its own, shielded from the
caller's cancellation, in case the close has to wait for a rollback. A session whose every
statement commits as it runs (the reading and the autocommitting ones) has nothing to roll back on
PostgreSQL through asyncpg, so its close waits for nothing and needs no task: the task was a
visible share of a wizard step's CPU. What must still hold: the connection goes back to the pool,
whether the unit of work ended normally, by an error or by a cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from servicekit import db
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from testkit import postgres_database


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0, pool_timeout=5)
        try:
            yield engine
        finally:
            await engine.dispose()


MAKERS: dict[str, Callable[[AsyncEngine], async_sessionmaker[AsyncSession]]] = {
    "reading": db.reading_sessionmaker, "autocommit": db.autocommit_sessionmaker}


@contextmanager
def tasks_created() -> Iterator[list[str]]:
    """The names of the tasks the running loop creates meanwhile."""
    loop = asyncio.get_running_loop()
    before = loop.get_task_factory()
    created: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        created.append(getattr(coro, "__qualname__", repr(coro)))
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    try:
        yield created
    finally:
        loop.set_task_factory(before)


@pytest.mark.parametrize("kind", sorted(MAKERS))
async def test_a_session_without_a_transaction_is_closed_in_the_callers_task(engine, kind):
    sessions = MAKERS[kind](engine)
    with tasks_created() as created:
        async with sessions() as session:
            assert await session.scalar(text("SELECT 1")) == 1
    assert created == []  # SQLAlchemy's own close ran in a task: ["AsyncSession.close"]
    assert engine.sync_engine.pool.checkedout() == 0


@pytest.mark.parametrize("kind", sorted(MAKERS))
async def test_its_close_waits_for_nothing(engine, kind):
    """Why no task is needed: a cancellation lands only where a coroutine waits, and this close
    finishes at its first step (nothing to roll back), so it cannot be cut short."""
    session = MAKERS[kind](engine)()
    await session.scalar(text("SELECT 1"))
    closing = session.close()
    with pytest.raises(StopIteration):
        closing.send(None)
    assert engine.sync_engine.pool.checkedout() == 0


@pytest.mark.parametrize("kind", sorted(MAKERS))
async def test_the_connection_goes_back_after_an_error_and_after_a_cancellation(engine, kind):
    sessions = MAKERS[kind](engine)
    with pytest.raises(ZeroDivisionError):
        async with sessions() as session:
            await session.scalar(text("SELECT 1"))
            raise ZeroDivisionError

    async def slow() -> None:
        async with sessions() as session:
            await session.execute(text("SELECT pg_sleep(30)"))

    running = asyncio.create_task(slow())
    await asyncio.sleep(0.5)  # the statement is on the server
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert engine.sync_engine.pool.checkedout() == 0
    # The pool has one connection: the next unit of work gets one (the cancelled statement's
    # connection replaced or usable again), instead of waiting for a connection that never came back.
    async with sessions() as session:
        assert await session.scalar(text("SELECT 2")) == 2


async def test_a_transactions_session_keeps_sqlalchemys_shielded_close(engine):
    """A session that may hold a transaction may have to roll it back when it closes: a wait that
    a cancellation could cut short, so SQLAlchemy's close in a task of its own stays."""
    with tasks_created() as created:
        async with db.sessionmaker(engine)() as session:
            await session.scalar(text("SELECT 1"))
    assert created, "the transaction's session closed without SQLAlchemy's task"
