"""Scheduled jobs that run once per due time, however many replicas of a service run them.

Each service process runs a ``Scheduler`` (started by ``serve``, through the host's start and stop
hooks). Every ``poll_seconds`` it looks at each of its jobs: a job is *due* once per slot of its
``every`` (slots counted from the epoch, in the injectable clock's time), and a due slot runs on the
one replica that takes the job's **lease**: a row of ``job_leases`` (holder, lease end, the last slot
done), taken by one conditional ``UPDATE``: "this job, whose last finished slot is older than this
one, and which nobody holds or whose holder's lease has run out". The database lets one replica's
update match; the others match nothing and go on. When the job finishes, its slot is written as done
and the lease given back; when it fails, the lease is given back and the slot stays due, so the next
pass (of any replica) tries again; when its replica dies, the lease runs out after ``lease_seconds``
and another replica takes the slot.

A row rather than ``pg_try_advisory_lock``: a session-level advisory lock does not survive PgBouncer
in transaction mode (``<S>_DB_POOLER=transaction``), and the row works the same on SQLite (``make
run``). Because a lease can run out under a job that is still running, every job is idempotent on
its own as well (it records what it did and skips what is recorded), so a second run does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, exc, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit import metrics
from servicekit.clock import Clock
from servicekit.types import UtcDateTime

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def job_leases_table(metadata: MetaData) -> Table:
    """One row per scheduled job of the service: who holds it until when, and the last slot done."""
    return Table(
        "job_leases",
        metadata,
        Column("job", String(100), primary_key=True),
        Column("holder", String(100), nullable=True),
        Column("lease_until", UtcDateTime(), nullable=True),
        Column("done_due_at", UtcDateTime(), nullable=True),  # the last slot that finished
        Column("finished_at", UtcDateTime(), nullable=True),
        Column("last_result", Integer, nullable=True),  # what that run did (a count)
    )


@dataclass(frozen=True)
class Job:
    """``run(now)`` does the job's work as of ``now`` and returns how many things it changed."""

    name: str
    every: timedelta
    run: Callable[[datetime], Awaitable[int]]

    def due_at(self, now: datetime) -> datetime:
        """The start of the slot ``now`` falls in."""
        slots = (now - EPOCH) // self.every
        return EPOCH + slots * self.every


def default_holder() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"[:100]


class Scheduler:
    def __init__(
        self,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        jobs: list[Job],
        *,
        clock: Clock,
        poll_seconds: float = 30.0,
        lease_seconds: float = 600.0,
        holder: str | None = None,
        every_pass: list[Callable[[datetime], Awaitable[None]]] | None = None,
    ) -> None:
        if len({job.name for job in jobs}) != len(jobs):
            raise ValueError("job names must be unique")
        self.service = service
        self.sessions = sessions
        self.table = table
        self.jobs = jobs
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.holder = holder or default_holder()
        self.every_pass = every_pass or []
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Run passes every ``poll_seconds`` in the background; 0 or less: never (tests call
        ``run_due`` themselves)."""
        if self.poll_seconds > 0 and (self.jobs or self.every_pass):
            self._task = asyncio.create_task(self._loop(), name=f"{self.service}-scheduler")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await self._task

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass
            if self._stopping.is_set():
                return
            try:
                await self.run_due()
            except Exception:
                log.warning("scheduler pass failed; trying again at the next one", exc_info=True)

    async def run_due(self) -> dict[str, int]:
        """One pass: every job whose current slot is not done and whose lease this replica takes
        runs now. Returns what each job that ran here reported."""
        ran: dict[str, int] = {}
        for hook in self.every_pass:
            try:
                await hook(self.clock.now())
            except Exception:
                log.warning("scheduler hook failed", exc_info=True)
        for job in self.jobs:
            result = await self.run_if_due(job)
            if result is not None:
                ran[job.name] = result
        return ran

    async def run_if_due(self, job: Job) -> int | None:
        """Run ``job`` for its current slot if this replica takes its lease; None when it did not run
        here (done already, held by another replica, or failed)."""
        now = self.clock.now()
        due = job.due_at(now)
        if not await self._take(job, due, now):
            return None
        try:
            result = await job.run(now)
        except Exception:
            metrics.SCHEDULED_JOB_RUNS.labels(self.service, job.name, "failed").inc()
            log.exception("scheduled job failed; its slot stays due", extra={"job": job.name})
            await self._give_back(job, None)
            return None
        await self._give_back(job, (due, result))
        metrics.SCHEDULED_JOB_RUNS.labels(self.service, job.name, "done").inc()
        metrics.SCHEDULED_JOB_LAST_DONE.labels(self.service, job.name).set(self.clock.now().timestamp())
        log.info("scheduled job done", extra={"job": job.name, "due_at": due.isoformat(), "result": result})
        return result

    async def _take(self, job: Job, due: datetime, now: datetime) -> bool:
        t = self.table
        await self._ensure_row(job)
        async with self.sessions() as session, session.begin():
            taken = await session.execute(
                update(t)
                .where(t.c.job == job.name,
                       or_(t.c.done_due_at.is_(None), t.c.done_due_at < due),
                       or_(t.c.holder.is_(None), t.c.lease_until < now))
                .values(holder=self.holder, lease_until=now + self.lease)
            )
        return bool(taken.rowcount == 1)  # type: ignore[attr-defined]

    async def _ensure_row(self, job: Job) -> None:
        t = self.table
        try:
            async with self.sessions() as session, session.begin():
                if await session.scalar(select(t.c.job).where(t.c.job == job.name)) is None:
                    await session.execute(insert(t).values(job=job.name))
        except exc.IntegrityError:
            pass  # another replica wrote it first

    async def _give_back(self, job: Job, done: tuple[datetime, int] | None) -> None:
        t = self.table
        values: dict[str, object] = {"holder": None, "lease_until": None}
        if done is not None:
            values.update(done_due_at=done[0], finished_at=self.clock.now(), last_result=done[1])
        async with self.sessions() as session, session.begin():
            await session.execute(update(t).where(t.c.job == job.name, t.c.holder == self.holder).values(**values))
