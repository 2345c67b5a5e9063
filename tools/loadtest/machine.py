"""CPU of every process a wizard step touches, over one measured phase, from /proc (Linux).

The system's own processes are the harness's children. Redis, RabbitMQ and PostgreSQL are the
machine's servers: each is found as the process holding its listening socket (/proc/net/tcp → the
socket's inode → the /proc/<pid>/fd that links to it). PostgreSQL is split in two rows:

- ``postgresql backends``: the backends of this run's databases alive at the start or the end of
  the phase, plus the postmaster's reaped-children time (cutime + cstime) gained meanwhile: a
  backend that exits (a pool closing an overflow connection) leaves its CPU there, not in any
  live process. That term holds any database's exited backends, hence the quiet machine;
- ``postgresql server``: the postmaster itself (it forks every new session) and its other live
  children (WAL writer, checkpointer, autovacuum, other databases' backends).

New sessions are counted by ``pg_stat_database.sessions`` of the run's databases.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

TICKS = os.sysconf("SC_CLK_TCK")
LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column
SERVER_PORTS = {"redis": 6379, "rabbitmq": 5672, "postgresql": 5432}
PG_BACKENDS, PG_SERVER = "postgresql backends", "postgresql server"
# Every CPU's busy time over the phase, less the rows above and the generator: what other work on
# the machine took meanwhile (noise in the figures when it is not near 0).
ELSEWHERE = "rest of the machine"
# Interrupt time (mostly softirq: loopback TCP between the processes, wrk included) is in no
# process's utime/stime; /proc/stat counts it apart.
INTERRUPTS = "kernel interrupts (irq + softirq)"
GENERATOR = "load generator"


@dataclass(frozen=True)
class ProcStat:
    ppid: int
    utime: int  # clock ticks
    stime: int
    cutime: int  # children the process has waited for
    cstime: int

    @property
    def own_seconds(self) -> float:
        return (self.utime + self.stime) / TICKS

    @property
    def reaped_children_seconds(self) -> float:
        return (self.cutime + self.cstime) / TICKS


def parse_stat(text: str) -> ProcStat:
    """/proc/<pid>/stat: the command name (field 2) is in parentheses and may hold spaces or ')'."""
    fields = text.rsplit(")", 1)[1].split()  # fields[0] is the state (field 3)
    return ProcStat(ppid=int(fields[1]), utime=int(fields[11]), stime=int(fields[12]), cutime=int(fields[13]),
                    cstime=int(fields[14]))


def read_stat(pid: int) -> ProcStat | None:
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, IndexError, ValueError):
        return None  # gone


def listening_inodes(table: str, port: int) -> set[str]:
    """Socket inodes listening on ``port`` in a /proc/net/tcp or tcp6 table."""
    found = set()
    for line in table.splitlines()[1:]:
        columns = line.split()
        if len(columns) > 9 and columns[3] == LISTEN and int(columns[1].rsplit(":", 1)[1], 16) == port:
            found.add(columns[9])
    return found


def holders_of(inodes: set[str], proc: Path = Path("/proc")) -> list[int]:
    """Processes with one of these sockets open (reading other users' fds takes root, as here)."""
    links = {f"socket:[{inode}]" for inode in inodes}
    holders = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in links for fd in (entry / "fd").iterdir()):
                holders.append(int(entry.name))
        except OSError:
            continue
    return holders


def listener_pid(port: int) -> int | None:
    """The process that owns the listening socket: of the holders, the one whose parent is none of them
    (a forked child may keep its parent's socket open)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            inodes |= listening_inodes(Path(table).read_text(), port)
        except OSError:
            continue
    holders = holders_of(inodes) if inodes else []
    roots = [pid for pid in holders if (stat := read_stat(pid)) is not None and stat.ppid not in holders]
    return min(roots) if roots else None


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := read_stat(int(entry.name))) is not None and stat.ppid == parent:
            found.append(int(entry.name))
    return found


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    return {pid: stat.own_seconds for pid in pids if (stat := read_stat(pid)) is not None}


def used_between(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """CPU seconds of a set of processes between two readings: a process that appeared counts from 0;
    one that vanished counts what it had at the first reading no more (its rest is elsewhere)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


@dataclass
class Reading:
    processes: dict[str, dict[int, float]]  # row → pid → CPU seconds so far
    pg_backends: dict[int, float]
    pg_others: dict[int, float]  # the postmaster's other children and the postmaster itself
    pg_reaped: float
    pg_sessions: int
    machine_busy: float = 0.0  # seconds of all CPUs busy since boot (/proc/stat; steal excluded)
    interrupts: float = 0.0  # of which irq + softirq


class MachineMeter:
    """``start`` then ``stop``: CPU seconds per row between them, and the new PostgreSQL sessions.

    ``processes``: name → pid of the system's own processes and the load generator. ``databases``:
    the run's PostgreSQL databases. ``admin_url``: where to ask PostgreSQL (a database outside
    the run, so asking opens no session of the run's)."""

    def __init__(self, processes: Mapping[str, int], databases: list[str], admin_url: str) -> None:
        self.processes = dict(processes)
        self.databases = databases
        self.admin_url = admin_url
        self.servers = {name: listener_pid(port) for name, port in SERVER_PORTS.items()}
        self._admin: asyncpg.Connection | None = None
        self._before: Reading | None = None

    async def _read(self) -> Reading:
        assert self._admin is not None
        backends = [r["pid"] for r in await self._admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", self.databases)]
        sessions = await self._admin.fetchval(
            "SELECT coalesce(sum(sessions), 0) FROM pg_stat_database WHERE datname = ANY($1::text[])", self.databases)
        named = {**self.processes, **{k: v for k, v in self.servers.items() if k != "postgresql" and v}}
        postmaster = self.servers.get("postgresql")
        others = [pid for pid in children_of(postmaster) if pid not in backends] if postmaster else []
        master_stat = read_stat(postmaster) if postmaster else None
        return Reading(
            processes={name: cpu_of([pid]) for name, pid in named.items()},
            pg_backends=cpu_of(backends),
            pg_others=cpu_of([*others, *([postmaster] if postmaster else [])]),
            pg_reaped=master_stat.reaped_children_seconds if master_stat else 0.0,
            pg_sessions=int(sessions),
            **machine_busy_now(),
        )

    async def start(self) -> None:
        if self._admin is None:
            self._admin = await asyncpg.connect(self.admin_url)
        self._before = await self._read()

    async def stop(self, generator_seconds: float) -> tuple[dict[str, float], int]:
        """(CPU seconds per row, the generator's and the rest of the machine's included; new PostgreSQL
        sessions of the run's databases)."""
        assert self._before is not None
        after = await self._read()
        rows = {**cpu_rows(self._before, after), GENERATOR: round(generator_seconds, 3)}
        rows[INTERRUPTS] = round(after.interrupts - self._before.interrupts, 3)
        rows[ELSEWHERE] = elsewhere(self._before, after, rows)
        return rows, after.pg_sessions - self._before.pg_sessions

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


def machine_busy_seconds(proc_stat: str) -> dict[str, float]:
    """All CPUs' busy time since boot from /proc/stat's first line: user, nice, system, irq, softirq
    (guest time is already in user; steal is the hypervisor's, not this machine's work)."""
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in proc_stat.split("\n", 1)[0].split()[1:8])
    return {"machine_busy": (user + nice + system + irq + softirq) / TICKS, "interrupts": (irq + softirq) / TICKS}


def machine_busy_now() -> dict[str, float]:
    return machine_busy_seconds(Path("/proc/stat").read_text())


def elsewhere(before: Reading, after: Reading, accounted: Mapping[str, float]) -> float:
    """The machine's busy time over the phase that no row (the generator's and interrupts' included)
    accounts for."""
    return round(after.machine_busy - before.machine_busy - sum(accounted.values()), 3)


def cpu_rows(before: Reading, after: Reading) -> dict[str, float]:
    rows = {name: round(used_between(before.processes.get(name, {}), pids), 3)
            for name, pids in after.processes.items()}
    # A backend alive at the start that exited before the end: its time is in the reaped term now.
    alive_before_only = {pid: s for pid, s in before.pg_backends.items() if pid not in after.pg_backends}
    backends = used_between(before.pg_backends, after.pg_backends) - sum(alive_before_only.values())
    rows[PG_BACKENDS] = round(backends + after.pg_reaped - before.pg_reaped, 3)
    rows[PG_SERVER] = round(used_between(before.pg_others, after.pg_others), 3)
    return rows


def per_step_ms(cpu: Mapping[str, float], steps: int) -> dict[str, float]:
    """CPU milliseconds per wizard step of each row."""
    if steps <= 0:
        return {}
    return {name: round(1000 * seconds / steps, 3) for name, seconds in cpu.items()}
