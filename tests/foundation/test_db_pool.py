"""Pooled PostgreSQL connections: checked on every checkout, in one round trip (servicekit.db)."""

from __future__ import annotations

from typing import Any

import asyncpg
from servicekit import db
from servicekit.testing import PG_ADMIN_URL, postgres_database
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine


async def _backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())


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
            # The pool still holds the dead connection; the request gets a fresh one instead.
            second = await _backend_pid(engine)
            assert second != first
        finally:
            await engine.dispose()


async def test_the_checkout_check_is_one_round_trip():
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0)
        sent: list[str] = []

        @event.listens_for(engine.sync_engine, "connect")
        def _log_queries(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.driver_connection.add_query_logger(lambda record: sent.append(record.query))

        try:
            await _backend_pid(engine)  # opens the pooled connection
            sent.clear()
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            # The check, then the request's own transaction and statement: no BEGIN/ROLLBACK around
            # the check (SQLAlchemy's pre-ping sends BEGIN; ";"; ROLLBACK for asyncpg).
            # (asyncpg's logger does not see SQLAlchemy's prepared statement itself.)
            assert sent[0] == "SELECT 1", sent
            assert sent[1].strip().upper().startswith("BEGIN"), sent
        finally:
            await engine.dispose()
