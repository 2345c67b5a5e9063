"""Faults to inject into a running system (tools.loadtest.system) while load runs.

- ``kill_and_restart``: SIGKILL one process (nothing drains, in-flight work is cut), leave it down a
  moment, start it again with the same settings and wait until it is SERVING.
- ``drop_postgres_connections``: ``pg_terminate_backend`` for every backend serving the system's
  databases, as a failover or a restarted PostgreSQL would.
- The broker and Redis restarts are in tools.loadtest.broker (``PrivateRabbit.stop_app/start_app``,
  ``PrivateRedis.shutdown/start``); callers undo them in ``finally``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg

from tools.loadtest.system import PG_ADMIN_URL, System


@dataclass
class Kill:
    service: str
    down_seconds: float
    back_after_seconds: float  # from the kill until SERVING again


async def kill_and_restart(system: System, name: str, down_seconds: float = 1.0) -> Kill:
    service = system.named(name)
    started = time.monotonic()
    service.kill()
    await asyncio.sleep(down_seconds)
    await system.restart(service)
    return Kill(name, down_seconds, round(time.monotonic() - started, 2))


async def drop_postgres_connections(system: System) -> int:
    """Terminate every backend of the system's databases; returns how many were cut."""
    names = [url.rsplit("/", 1)[1] for url in system.database_urls.values()]
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity "
            "WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()", names)
    finally:
        await admin.close()
    return sum(1 for r in rows if r["cut"])
