"""CPU time per process over a phase of a run, read from /proc (Linux), to see where the time goes.

PostgreSQL's share is the sum over the backends serving the run's databases (from
``pg_stat_activity``); the load generator is this process.
"""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from tools.loadtest.system import System

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def postgres_backends(system: System) -> list[int]:
    connection = await asyncpg.connect(system.database_urls["identity"])
    try:
        names = [url.rsplit("/", 1)[1] for url in system.database_urls.values()]
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", names)
    finally:
        await connection.close()
    return [r["pid"] for r in rows]


class CpuMeter:
    """``start`` then ``stop``: CPU seconds used per process in between."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._before: dict[str, dict[int, float]] = {}

    async def _pids(self) -> dict[str, list[int]]:
        found = {s.name: [s.popen.pid] for s in self.system.services if s.popen is not None}
        found["postgres (run's backends)"] = await postgres_backends(self.system)
        found["load generator"] = [os.getpid()]
        return found

    async def start(self) -> None:
        self._before = {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in (await self._pids()).items()}

    async def stop(self) -> dict[str, float]:
        used: dict[str, float] = {}
        for name, pids in (await self._pids()).items():
            before = self._before.get(name, {})
            used[name] = round(sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids), 2)
        return used
