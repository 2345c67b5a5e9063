"""The SQL statements a unit of work sends: through SQLAlchemy (its cursor events), and straight to
asyncpg (``adapters.driver_statements``; asyncpg's query logger on each connection taken from the
pool meanwhile, which does not see SQLAlchemy's own prepared statements, so none is counted twice)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tqr_application.service_layer.context import ServiceContext


@contextmanager
def statements_of(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    logged: list[Any] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    def log(query: Any) -> None:
        seen.append(query.query)

    def watch(dbapi_connection: Any, *_: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if hasattr(driver, "add_query_logger") and driver not in logged:
            driver.add_query_logger(log)
            logged.append(driver)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    event.listen(engine.sync_engine, "checkout", watch)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        event.remove(engine.sync_engine, "checkout", watch)
        for driver in logged:
            driver.remove_query_logger(log)


def engine_of(ctx: ServiceContext) -> AsyncEngine:
    return ctx.sessions.kw["bind"]  # type: ignore[no-any-return]
