"""Database engines for SQLite (the embedded default) and PostgreSQL (by URL)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_


def async_url(url: str) -> str:
    """Accept plain ``postgresql://`` and ``sqlite:///`` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = async_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(url, **kwargs)
    _check_on_checkout(engine)
    return engine


# A connection given back to the pool this recently was answering a moment ago. Checking it again
# would cost a round trip on nearly every request at a peak, when connections barely rest in the
# pool; HikariCP skips its check inside the same 500 ms window for the same reason.
ALIVE_BYPASS_SECONDS = 0.5
_RETURNED_AT = "servicekit.returned_at"


def _check_on_checkout(engine: AsyncEngine) -> None:
    """A connection taken from the pool is checked first, unless it came back within
    ``ALIVE_BYPASS_SECONDS``, so one the server dropped while it sat idle (a restart, a failover,
    ``pg_terminate_backend``) is replaced instead of failing a request.

    SQLAlchemy's own ``pool_pre_ping`` checks every checkout, in three round trips for asyncpg
    (BEGIN, ";", ROLLBACK, for pgbouncer's transaction mode, which we do not use); this is one,
    and only after a rest. On a wizard step the socket writes behind each round trip are a large
    share of the application service's CPU. A connection that died inside the window fails its
    request once, like one that dies mid-request; SQLAlchemy then discards the whole pool.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED_AT, float("-inf")) < ALIVE_BYPASS_SECONDS:
            return
        try:
            await_(dbapi_connection.driver_connection.execute("SELECT 1"))
        except Exception as error:
            # The pool throws this connection away and takes another (up to three tries).
            raise exc.DisconnectionError("a pooled connection no longer answers") from error


def _tune_sqlite(engine: AsyncEngine) -> None:
    # WAL lets readers proceed while one writer commits; busy_timeout makes writers queue
    # instead of failing at once when replicas share one file.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise when the database does not answer."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
