"""CPU time per process over a phase of a run, read from /proc (Linux), to see where the time goes
and what one request costs each service (the capacity derivation in deploy/CAPACITY.md).

Each service process is read from its own ``/proc/<pid>/stat``. PostgreSQL is reported twice:

- ``postgres (run's backends)``: the backends serving the run's databases (``pg_stat_activity``),
  what this run's requests cost the server;
- ``postgres (server)``: the whole server: the postmaster, every child it has (backends of every
  database, WAL writer, checkpointer, autovacuum) and the children that exited during the phase (the
  postmaster's ``cutime``/``cstime``, which the kernel adds when it reaps them). It includes what
  other clients of a shared server did meanwhile: an upper bound.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import asyncpg

from tools.loadtest.system import System

TICKS = os.sysconf("SC_CLK_TCK")
POSTGRES_BACKENDS = "postgres (run's backends)"
POSTGRES_SERVER = "postgres (server)"
LOAD_GENERATOR = "load generator"


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces): state first."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def reaped_children_seconds(pid: int) -> float:
    """CPU of the children ``pid`` has waited for (cutime + cstime): exited backends, for a postmaster."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / TICKS


def parent_of(pid: int) -> int:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else 0


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == parent:
            found.append(int(entry.name))
    return found


def server_seconds(postmaster: int) -> float:
    """Everything the PostgreSQL server has used so far: the postmaster, its live children, and
    the children it reaped. Exiting between two readings moves a child's time from the second term
    to the third, so a difference of two readings counts it once."""
    live = sum(cpu_seconds(child) for child in children_of(postmaster))
    return cpu_seconds(postmaster) + live + reaped_children_seconds(postmaster)


async def postgres_processes(database_urls: Mapping[str, str]) -> tuple[list[int], int]:
    """The backends serving the run's databases, and the postmaster.

    The postmaster is the parent of this query's own backend, read while that backend lives; the
    query's backend is no backend of the run's (it exits with the connection: taken as the first of
    the run's, it left the server out of a phase whenever it came first)."""
    connection = await asyncpg.connect(database_urls["identity"])
    try:
        names = [url.rsplit("/", 1)[1] for url in database_urls.values()]
        rows = await connection.fetch("SELECT pid FROM pg_stat_activity "
                                      "WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()", names)
        postmaster = parent_of(await connection.fetchval("SELECT pg_backend_pid()"))
    finally:
        await connection.close()
    return [r["pid"] for r in rows], postmaster


def per_service(used: Mapping[str, float]) -> dict[str, float]:
    """Replicas added up: ``identity-1`` and ``identity-2`` → ``identity``; other names stay."""
    totals: dict[str, float] = {}
    for name, seconds in used.items():
        head, _, tail = name.rpartition("-")
        service = head if head and tail.isdigit() else name
        totals[service] = round(totals.get(service, 0.0) + seconds, 3)
    return totals


def per_unit_ms(used: Mapping[str, float], units: int) -> dict[str, float]:
    """CPU milliseconds per request (or per application) of each service, replicas added up."""
    if units <= 0:
        return {}
    return {name: round(1000 * seconds / units, 3) for name, seconds in per_service(used).items()}


class CpuMeter:
    """``start`` then ``stop``: CPU seconds used per process in between."""

    def __init__(self, system: System) -> None:
        self.system = system
        self._before: dict[str, dict[int, float]] = {}
        self._server_before = 0.0
        self._postmaster = 0

    async def _pids(self) -> tuple[dict[str, list[int]], int]:
        found = {s.name: [s.popen.pid] for s in self.system.services if s.popen is not None}
        found[POSTGRES_BACKENDS], postmaster = await postgres_processes(self.system.database_urls)
        found[LOAD_GENERATOR] = [os.getpid()]
        return found, postmaster

    async def start(self) -> None:
        pids, self._postmaster = await self._pids()
        self._before = {name: {pid: cpu_seconds(pid) for pid in found} for name, found in pids.items()}
        self._server_before = server_seconds(self._postmaster) if self._postmaster else 0.0

    async def stop(self) -> dict[str, float]:
        used: dict[str, float] = {}
        found, _ = await self._pids()
        for name, pids in found.items():
            before = self._before.get(name, {})
            used[name] = round(sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids), 2)
        if self._postmaster:
            used[POSTGRES_SERVER] = round(server_seconds(self._postmaster) - self._server_before, 2)
        return used
