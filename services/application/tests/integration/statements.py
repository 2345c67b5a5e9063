"""The SQL statements a unit of work sends: through SQLAlchemy (its cursor events), and straight to
asyncpg (``adapters.driver_statements``; asyncpg's query logger on each connection taken from the
pool meanwhile, which does not see SQLAlchemy's own prepared statements, so none is counted twice).

The service's own background work (the outbox relay's polls, the scheduler's jobs, the health
watch: servicekit names their tasks) runs beside the calls a test measures and is left out: a
relay's poll that fell inside the window once made a one-statement read count four."""

from __future__ import annotations

import asyncio
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
        if not in_background_work():
            seen.append(statement)

    def log(query: Any) -> None:
        seen.append(query.query)

    def watch(dbapi_connection: Any, *_: Any) -> None:
        # asyncpg calls its loggers outside the task that ran the query: decided at checkout instead.
        driver = getattr(dbapi_connection, "driver_connection", None)
        if hasattr(driver, "add_query_logger") and driver not in logged and not in_background_work():
            driver.add_query_logger(log)
            logged.append(driver)

    def unwatch(dbapi_connection: Any, *_: Any) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver in logged:
            driver.remove_query_logger(log)
            logged.remove(driver)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    event.listen(engine.sync_engine, "checkout", watch)
    event.listen(engine.sync_engine, "checkin", unwatch)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
        event.remove(engine.sync_engine, "checkout", watch)
        event.remove(engine.sync_engine, "checkin", unwatch)
        for driver in logged:
            driver.remove_query_logger(log)


BACKGROUND_TASKS = ("-outbox-relay", "-scheduler", "-health")  # servicekit's task names, after the service's


def in_background_work() -> bool:
    task = asyncio.current_task()  # the engine's events run inside its loop
    return task is not None and task.get_name().endswith(BACKGROUND_TASKS)


def engine_of(ctx: ServiceContext) -> AsyncEngine:
    return ctx.sessions.kw["bind"]  # type: ignore[no-any-return]
