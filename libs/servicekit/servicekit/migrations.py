"""Alembic, one migration history per service, for SQLite and PostgreSQL alike.

A service's ``migrations/env.py`` is two lines that call ``run_env`` with its metadata; the
service's CLI calls ``upgrade`` before serving.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection

from servicekit import db


def config(script_location: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", db.async_url(url).replace("%", "%%"))
    return cfg


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    """Migrate to ``revision``; safe to call from inside a running event loop."""
    cfg = config(script_location, url)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(cfg, revision)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    # env.py drives an async engine with asyncio.run, which needs a thread without a loop.
    thread = threading.Thread(target=run, name="alembic")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's alembic env.py."""
    url = context.config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=db.is_sqlite(url))
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(url, target_metadata))


async def _run_online(url: str, target_metadata: MetaData) -> None:
    # One connection, and set up for a pooler in transaction mode whatever the URL points at: a
    # migration runs once, so the statement cache saves nothing, and it then works through a pooler
    # too (the whole upgrade is one transaction, see the note in deploy/README.md).
    engine = db.create_engine(url, poolclass=pool.NullPool, pooler="transaction")

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=db.is_sqlite(url),  # SQLite alters tables by copying them
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async with engine.connect() as connection:
        await connection.run_sync(migrate)
        await connection.commit()
    await engine.dispose()
