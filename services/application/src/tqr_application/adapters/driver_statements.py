"""A statement run on the asyncpg connection a session holds, not through SQLAlchemy's execution.

For the two statements of a wizard step (``draft_repository``), the commonest request at a peak:
SQLAlchemy's work around a statement whose compiled form it already caches (the execution
context, the parameters' and the result's processing, the hop through a greenlet) costs the
application service more CPU than the statement's own client-side work. Only where the session
commits every statement as it runs (``ServiceContext.autocommitting``) and the driver is asyncpg:
there is no transaction for SQLAlchemy to keep track of, and the statements are still the ones
SQLAlchemy compiles (the same SQL, bound through the same types), compiled once per statement and
dialect (``DriverStatement.of``). Elsewhere (a transaction, SQLite) the caller runs them through
SQLAlchemy (``held_directly`` answers None). The connection is found through SQLAlchemy once per
unit of work (``held_directly``), not once per statement.

A failure means what it would mean through SQLAlchemy: a connection the server dropped or that no
longer answers is invalidated, with the pool's other connections of its generation (the pool
replaces them), and raised as ``OperationalError`` with
``connection_invalidated`` (the service answers UNAVAILABLE: try again); any other database error
is raised as ``DBAPIError`` (a fault, logged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from servicekit import db
from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class DriverStatement:
    """A compiled statement: its SQL, and how each positional argument is made from the parameters."""

    sql: str
    names: tuple[str, ...]
    defaults: tuple[Any, ...]  # a literal's own value (``revision + 1``); None for a named parameter
    processors: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, statement: ClauseElement, dialect: Dialect) -> DriverStatement:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        names = tuple(compiled.positiontup or ())
        binds = [compiled.binds[name] for name in names]
        return cls(compiled.string, names, tuple(b.value for b in binds),
                   tuple(b.type.dialect_impl(dialect).bind_processor(dialect) for b in binds))

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> DriverStatement:
        """``compile``, once per statement and dialect (statements are module constants, so their
        ids last as long as the process)."""
        key = (id(statement), dialect.name)
        found = _COMPILED.get(key)
        if found is None:
            found = _COMPILED[key] = cls.compile(statement, dialect)
        return found

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = (parameters.get(name, default) for name, default in zip(self.names, self.defaults, strict=True))
        return [process(value) if process else value
                for value, process in zip(values, self.processors, strict=True)]


_COMPILED: dict[tuple[int, str], DriverStatement] = {}


def runs_directly(connection: AsyncConnection) -> bool:
    """asyncpg, and every statement committed as it runs."""
    sync = connection.sync_connection
    return (connection.dialect.driver == "asyncpg" and sync is not None
            and sync.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


@dataclass(frozen=True)
class Held:
    """The connection a session holds and asyncpg's under it, for statements that go to asyncpg."""

    transaction: Any  # the session's (SQLAlchemy's) transaction the connection belongs to
    connection: AsyncConnection
    driver: asyncpg.Connection


_HELD = "tqr.driver_connection"  # session.info: the Held of this unit of work


async def held_directly(session: AsyncSession) -> Held | None:
    """The session's connection where its statements may go to asyncpg itself (``runs_directly``),
    else None. Asked of SQLAlchemy once per unit of work: a wizard step's read and write each asked
    it again, two trips through SQLAlchemy's greenlet apiece. The one found is used only while the
    session keeps the same transaction (a commit gives the connection back) and the connection was
    not invalidated."""
    transaction = session.sync_session.get_transaction()
    held: Held | None = session.info.get(_HELD)
    if held is not None and transaction is held.transaction and not held.connection.invalidated:
        return held
    connection = await session.connection()
    if not runs_directly(connection):
        return None
    driver = (await connection.get_raw_connection()).driver_connection
    held = session.info[_HELD] = Held(session.sync_session.get_transaction(), connection, driver)  # type: ignore[arg-type]
    return held


async def fetch_row(held: Held, statement: ClauseElement, parameters: Mapping[str, Any]) -> asyncpg.Record | None:
    compiled = DriverStatement.of(statement, held.connection.dialect)
    try:
        return await held.driver.fetchrow(compiled.sql, *compiled.arguments(parameters))
    except Exception as error:
        raise await _translated(held.connection, compiled, error) from error


async def execute_counting(held: Held, statement: ClauseElement, parameters: Mapping[str, Any]) -> int:
    """Rows the statement changed (its command tag: ``UPDATE 1``)."""
    compiled = DriverStatement.of(statement, held.connection.dialect)
    try:
        tag = await held.driver.execute(compiled.sql, *compiled.arguments(parameters))
    except Exception as error:
        raise await _translated(held.connection, compiled, error) from error
    return int(tag.rsplit(" ", 1)[-1])


def is_connection_lost(error: BaseException) -> bool:
    # InternalClientError ("cannot switch to state …; another operation is in progress"): the server
    # ended the backend and its last message (57P01) arrived before the end of the stream, so the
    # connection still waits for an answer that will never come. The connection is unusable.
    if isinstance(error, (asyncpg.exceptions.InterfaceError, asyncpg.exceptions.PostgresConnectionError,
                          asyncpg.exceptions.InternalClientError, OSError)):
        return True
    return db.is_unreachable_state(getattr(error, "sqlstate", None))


async def _translated(connection: AsyncConnection, statement: DriverStatement, error: Exception) -> exc.DBAPIError:
    # The parameters stay out of the error: a draft holds personal data.
    if is_connection_lost(error):
        # As SQLAlchemy does on a disconnect: every connection of the pool opened before now is
        # replaced at its next checkout (a server restart or failover drops them all), not only
        # this one, so that one step fails, not one per pooled connection.
        sync = connection.sync_connection
        if sync is not None and not sync.invalidated:
            sync.engine.pool._invalidate(sync.connection, error, _checkin=False)
        await connection.invalidate(error)
        return exc.OperationalError(statement.sql, None, error, connection_invalidated=True)
    return exc.DBAPIError(statement.sql, None, error)
