"""A statement run on the asyncpg connection a session holds, not through SQLAlchemy's execution.

For the two statements of a wizard step (``draft_repository``), the commonest request at a peak:
SQLAlchemy's work around a statement whose compiled form it already caches (the execution
context, the parameters' and the result's processing, the hop through a greenlet) costs the
application service more CPU than the statement's own client-side work. Only where the session
commits every statement as it runs (``ServiceContext.autocommitting``) and the driver is asyncpg:
there is no transaction for SQLAlchemy to keep track of, and the statements are still the ones
SQLAlchemy compiles (the same SQL, bound through the same types), compiled once per statement and
dialect (``DriverStatement.of``). Elsewhere (a transaction, SQLite) the caller runs them through
SQLAlchemy (``runs_directly`` says which).

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
from sqlalchemy.ext.asyncio import AsyncConnection
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


async def fetch_row(connection: AsyncConnection, statement: DriverStatement,
                    parameters: Mapping[str, Any]) -> asyncpg.Record | None:
    driver = await _driver_of(connection)
    try:
        return await driver.fetchrow(statement.sql, *statement.arguments(parameters))
    except Exception as error:
        raise await _translated(connection, statement, error) from error


async def execute_counting(connection: AsyncConnection, statement: DriverStatement,
                           parameters: Mapping[str, Any]) -> int:
    """Rows the statement changed (its command tag: ``UPDATE 1``)."""
    driver = await _driver_of(connection)
    try:
        tag = await driver.execute(statement.sql, *statement.arguments(parameters))
    except Exception as error:
        raise await _translated(connection, statement, error) from error
    return int(tag.rsplit(" ", 1)[-1])


async def _driver_of(connection: AsyncConnection) -> asyncpg.Connection:
    return (await connection.get_raw_connection()).driver_connection  # type: ignore[return-value]


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
