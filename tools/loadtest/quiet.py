"""Before a measured phase: the machine back at rest, so a phase is not charged for the last one.

A phase that writes (the busy wizard steps, a run of journeys) leaves work behind it: PostgreSQL's
next checkpoint writes the pages it dirtied, autovacuum cleans the rows it replaced, the services
finish what was queued. On a 2-CPU machine that shares every process with the load generator,
that work lands in whatever phase comes next and shows in its tail. As pgbench vacuums before it
measures, ``settle`` asks for a checkpoint now and then waits until the CPUs are mostly idle, up to
a limit (it never fails a run; what it found goes into the report).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg

from tools.loadtest.system import PG_ADMIN_URL

IDLE_ENOUGH = 0.8  # share of all CPUs idle over one window
WINDOW_SECONDS = 1.0


def _cpu_times() -> tuple[int, int]:
    """(idle, total) jiffies of all CPUs since boot, from /proc/stat (Linux)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return idle, sum(fields[:8])  # guest time is already counted in user


async def idle_share(seconds: float = WINDOW_SECONDS) -> float:
    idle_before, total_before = _cpu_times()
    await asyncio.sleep(seconds)
    idle_after, total_after = _cpu_times()
    return (idle_after - idle_before) / max(total_after - total_before, 1)


async def settle(timeout: float = 60.0) -> dict[str, Any]:
    """Checkpoint, then wait for a window with at least ``IDLE_ENOUGH`` of the CPUs idle."""
    started = time.monotonic()
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute("CHECKPOINT")
    finally:
        await admin.close()
    idle = await idle_share()
    while idle < IDLE_ENOUGH and time.monotonic() - started < timeout:
        idle = await idle_share()
    return {"seconds": round(time.monotonic() - started, 1), "idle_share": round(idle, 2),
            "settled": idle >= IDLE_ENOUGH}
