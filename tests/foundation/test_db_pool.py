"""Pooled PostgreSQL connections: checked when taken after a rest, in one round trip, and sized by
each service's settings (servicekit.db)."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import asyncpg
import pytest
from servicekit import db
from servicekit.db import ALIVE_BYPASS_SECONDS
from servicekit.rpc.server import is_dependency_outage
from servicekit.service_settings import ServiceSettings
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from testkit import PG_ADMIN_URL, postgres_database


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


def _queries_sent_by(engine: AsyncEngine) -> list[str]:
    """What the engine's connections send, as asyncpg logs it (not SQLAlchemy's prepared statements)."""
    sent: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def _log_queries(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda record: sent.append(record.query))

    return sent


async def test_a_connection_the_server_dropped_while_pooled_is_replaced_not_failed():
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0)
        try:
            first = await _backend_pid(engine)
            admin = await asyncpg.connect(PG_ADMIN_URL)
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", first)
            finally:
                await admin.close()
            # The pool still holds the dead connection; after a rest the request gets a fresh one.
            await asyncio.sleep(ALIVE_BYPASS_SECONDS + 0.1)
            second = await _backend_pid(engine)
            assert second != first
        finally:
            await engine.dispose()


async def test_the_checkout_check_is_one_round_trip():
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0)
        sent = _queries_sent_by(engine)
        try:
            await _backend_pid(engine)  # opens the pooled connection
            await asyncio.sleep(ALIVE_BYPASS_SECONDS + 0.1)
            sent.clear()
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            # The check, then the request's own transaction and statement: no BEGIN/ROLLBACK around
            # the check (SQLAlchemy's pre-ping sends BEGIN; ";"; ROLLBACK for asyncpg).
            assert sent[0] == "SELECT 1", sent
            assert sent[1].strip().upper().startswith("BEGIN"), sent
        finally:
            await engine.dispose()


async def test_a_connection_given_back_moments_ago_is_not_checked_again():
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0)
        sent = _queries_sent_by(engine)
        try:
            await _backend_pid(engine)
            sent.clear()
            await _backend_pid(engine)  # at a peak: the connection was back in the pool a moment ago
            assert "SELECT 1" not in sent, sent
            assert sent and sent[0].strip().upper().startswith("BEGIN"), sent
        finally:
            await engine.dispose()


async def test_a_connection_left_waiting_for_an_answer_that_never_comes_is_an_outage_not_a_fault(monkeypatch):
    """asyncpg's InternalClientError ("cannot switch to state …; another operation is in progress"):
    the server ended the backend and its last message arrived before the end of the stream. The
    connection is unusable: it is thrown away, and the request answered "try again" (UNAVAILABLE),
    not INTERNAL."""
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0)
        try:
            first = await _backend_pid(engine)

            async def left_waiting(*_args: Any, **_kwargs: Any) -> Any:
                raise asyncpg.exceptions.InternalClientError(
                    "cannot switch to state 12; another operation (2) is in progress")

            with monkeypatch.context() as patched:
                patched.setattr(asyncpg.connection.Connection, "prepare", left_waiting)
                with pytest.raises(DBAPIError) as raised:
                    async with engine.connect() as connection:
                        await connection.execute(text("SELECT 'the backend has gone'"))
            assert raised.value.connection_invalidated
            assert is_dependency_outage(raised.value)
            assert await _backend_pid(engine) != first  # the next request has a new connection
        finally:
            await engine.dispose()


@pytest.mark.parametrize("service", ["identity", "application", "notification", "documents"])
async def test_each_service_sizes_its_pool_from_its_own_settings(service, monkeypatch):
    prefix = service.upper()
    monkeypatch.setenv(f"{prefix}_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    monkeypatch.setenv(f"{prefix}_DB_POOL_SIZE", "3")
    monkeypatch.setenv(f"{prefix}_DB_MAX_OVERFLOW", "2")
    config = importlib.import_module(f"tqr_{service}.config")
    (settings_class,) = {v for v in vars(config).values()
                         if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings}
    host = importlib.import_module(f"tqr_{service}.bootstrap").build_host(settings_class())
    try:
        assert (host.engine.pool.size(), host.engine.pool._max_overflow) == (3, 2)
    finally:
        await host.engine.dispose()
