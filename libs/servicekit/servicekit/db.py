"""Database engines for SQLite (the embedded default) and PostgreSQL (by URL)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import asyncpg
from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.util import await_

if TYPE_CHECKING:
    from servicekit.service_settings import ServiceSettings

# What sits between a service and PostgreSQL: nothing, or a pooler such as PgBouncer in transaction
# mode (pool_mode=transaction), which lends a server connection to a client for one transaction.
Pooler = Literal["none", "transaction"]

# PostgreSQL connections one process keeps. A fixed pool: a connection opened under a burst stays
# for the next one. Overflow connections are closed as they come back, so a busy process opening
# them burst after burst would make PostgreSQL fork a backend each time (or PgBouncer authenticate a
# client each time). Ten is several times what one process's single CPU keeps busy: a unit of work
# holds its connection a few milliseconds. The sum over every pod is budgeted against the pooler
# (tests/deploy/test_connection_budget.py).
POOL_SIZE = 10
MAX_OVERFLOW = 0

# SQLSTATEs of a database out of reach for the moment, not of a bad statement: class 08 (connection
# exception; PgBouncer answers 08P01 when no server connection comes in time or it has no room for
# another client), 57P01-57P03 (the server shutting down, crashed, or not accepting connections yet;
# pg_terminate_backend ends a backend with 57P01) and 53300 (too many connections).
_UNREACHABLE_CLASSES = ("08",)
_UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_unreachable_state(sqlstate: str | None) -> bool:
    """Whether an error with this SQLSTATE means "try again shortly" rather than a fault."""
    state = sqlstate or ""
    return state.startswith(_UNREACHABLE_CLASSES) or state in _UNREACHABLE_STATES


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


def engine_for(settings: ServiceSettings) -> AsyncEngine:
    """The engine of a service process, sized and set up for what is in front of PostgreSQL as its
    settings say (``<S>_DB_POOL_SIZE``, ``<S>_DB_MAX_OVERFLOW``, ``<S>_DB_POOLER``)."""
    return create_engine(settings.database_url, pool_size=settings.db_pool_size,
                         max_overflow=settings.db_max_overflow, pooler=settings.db_pooler)


def create_engine(url: str, *, pooler: Pooler = "none", **kwargs: Any) -> AsyncEngine:
    """An engine for ``url``; for PostgreSQL a pool of ``pool_size`` (+ ``max_overflow``) connections
    unless ``poolclass`` says otherwise. SQLite ignores ``pooler``."""
    url = async_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    if pooler == "transaction":
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), **TRANSACTION_POOLER_CONNECT_ARGS}
    engine = create_async_engine(url, **kwargs)
    _check_on_checkout(engine)
    _left_waiting_is_a_disconnect(engine)
    return engine


# Behind a pooler in transaction mode, consecutive transactions of one client connection run on
# different server connections, so nothing may outlive a transaction on the server:
# - No statement cache. asyncpg (``statement_cache_size``) and SQLAlchemy's asyncpg dialect
#   (``prepared_statement_cache_size``) keep named prepared statements per client connection and
#   run them again later, on a server connection that never saw them ("prepared statement
#   __asyncpg_stmt_12__ does not exist"), or prepare a name another client already left on it
#   ("... already exists"). Without a cache asyncpg prepares unnamed statements and sends Parse
#   again with Bind and Execute in one message sequence, so a statement outside a transaction (the
#   application service's AUTOCOMMIT wizard steps) also runs where it was parsed.
# - No named statements either: the unique names SQLAlchemy's documentation suggests for PgBouncer
#   (``prepared_statement_name_func``) would make asyncpg prepare named statements again; each is
#   closed later from whichever server connection the client holds then, so they pile up on the
#   server (measured: a hundred on one server connection after 600 short transactions) and, outside
#   a transaction, still run where they were not prepared.
# The price is one more round trip per statement (describe, then parse-bind-execute), so this is
# set only when a pooler is there (``<S>_DB_POOLER=transaction``), not for direct connections.
# Nothing in the services uses session state that transaction pooling would lose: no session-level
# advisory locks (the application service's R-STAFF-8 lock is transaction-level, released at
# COMMIT), LISTEN, session SET or temporary tables. services/application/tests/integration/
# test_through_pgbouncer.py runs wizard steps, submissions and the outbox relay through PgBouncer.
TRANSACTION_POOLER_CONNECT_ARGS: dict[str, Any] = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}


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
    (BEGIN, ";", ROLLBACK); this is one, and only after a rest. Behind a pooler in transaction mode
    the check reaches the pooler, and its ``SELECT 1`` borrows a server connection for that one
    statement. On a wizard step the socket writes behind each round trip are a large
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


def _left_waiting_is_a_disconnect(engine: AsyncEngine) -> None:
    """asyncpg's InternalClientError ("cannot switch to state …; another operation is in progress")
    means the server ended the backend and its last message arrived before the end of the stream:
    the connection waits for an answer that will never come. SQLAlchemy's dialect reports it as an
    InternalError and keeps the connection, so the request was answered as a fault and the broken
    connection went back to the pool. As a disconnect the pool replaces it (and the connections
    opened before it) and the request is answered "try again"."""

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: Any) -> None:
        # The dialect raises its own error class from the driver's.
        if isinstance(context.original_exception.__cause__, asyncpg.exceptions.InternalClientError):
            context.is_disconnect = True


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


class NoTransactionSession(AsyncSession):
    """A session whose engine commits every statement as it runs (``AUTOCOMMIT``): it never holds a
    transaction, so on PostgreSQL through asyncpg its close waits for nothing.

    SQLAlchemy's ``async with`` closes a session in a task of its own and waits for that task
    shielded, so that a cancellation of the caller cannot cut a close short halfway through a
    rollback. A cancellation lands only where a coroutine waits, and there is nothing here to wait
    for: asyncpg's connection has no transaction to roll back, so the connection goes back to the
    pool without a round trip. Such a session is closed in the caller's task instead, sparing the
    extra task and the turn of the event loop it costs on every request that reads or writes
    without a transaction (a wizard step, a page's read). Elsewhere (SQLite, whose driver rolls back
    through its own thread even then) SQLAlchemy's shielded close stays."""

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        bind = self.sync_session.bind
        if bind is not None and bind.dialect.driver == "asyncpg":
            await self.close()
        else:
            await super().__aexit__(type_, value, traceback)


def autocommit_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions in which every statement commits as it runs, for work that checks what it read is
    still there when it writes (the application service's wizard step)."""
    return _no_transaction_sessions(engine)


def _no_transaction_sessions(engine: AsyncEngine, **options: Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False,
                              class_=NoTransactionSession, **options)


class WriteInReadingSession(RuntimeError):
    """A unit of work opened for reading tried to change something: a fault of the caller."""


class ReadingSession(Session):
    """A session for work that only reads (``reading_sessionmaker``); it refuses to write."""


@event.listens_for(ReadingSession, "before_flush")
def _refuse_flush(session: Session, *_: Any) -> None:
    raise WriteInReadingSession("objects changed in a unit of work opened for reading; use a transaction")


@event.listens_for(ReadingSession, "do_orm_execute")
def _refuse_changes(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise WriteInReadingSession("a write statement in a unit of work opened for reading; use a transaction")


def reading_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work that only read, with no transaction around them.

    Under READ COMMITTED (PostgreSQL's default, which the services keep) every statement sees what
    was committed when it began, in a transaction or not: a transaction gives a reader no common
    snapshot, only a BEGIN before its first statement and a ROLLBACK at its end, two round trips
    and a little of the server's work on every read request. Without one a write would commit as
    it runs, where a reading session's used to vanish at its rollback: a reading session refuses
    to write instead (``WriteInReadingSession``)."""
    return _no_transaction_sessions(engine, sync_session_class=ReadingSession)


async def ping(engine: AsyncEngine) -> None:
    """Raise when the database does not answer."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
