"""servicekit.scheduler: a job runs once per due slot across replicas (the lease row), on SQLite and
on PostgreSQL, with the injectable clock; a failed run leaves its slot due; a dead holder's lease
runs out and another replica takes the job."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from servicekit import db
from servicekit.clock import ManualClock
from servicekit.scheduler import Job, Scheduler, job_leases_table
from sqlalchemy import MetaData, select

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)


async def _schema(url: str):  # type: ignore[no-untyped-def]
    engine = db.create_engine(url)
    metadata = MetaData()
    table = job_leases_table(metadata)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return engine, table


def _scheduler(engine, table, jobs, clock, holder, lease_seconds=600.0) -> Scheduler:  # type: ignore[no-untyped-def]
    return Scheduler("test", db.sessionmaker(engine), table, jobs, clock=clock, poll_seconds=0,
                     lease_seconds=lease_seconds, holder=holder)


async def test_two_replicas_at_once_run_a_due_job_once(db_url):
    engine, table = await _schema(db_url)
    clock = ManualClock(START)
    runs: list[datetime] = []
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow(now: datetime) -> int:
        runs.append(now)
        inside.set()
        await release.wait()  # still running while the other replica looks
        return 1

    job = Job("slow", EVERY, slow)
    first, second = (_scheduler(engine, table, [job], clock, name) for name in ("a", "b"))
    try:
        running = asyncio.create_task(first.run_due())
        await inside.wait()
        assert await second.run_due() == {}  # the lease is held: nothing runs here
        release.set()
        assert await running == {"slow": 1}
        # Done for this slot, on every replica; the next slot runs again, once.
        assert await first.run_due() == {} and await second.run_due() == {}
        assert len(runs) == 1
        clock.advance(EVERY)
        results = await asyncio.gather(first.run_due(), second.run_due())
        assert sorted(len(r) for r in results) == [0, 1] and len(runs) == 2
        async with db.sessionmaker(engine)() as session:
            row = (await session.execute(select(table))).one()
        assert row.holder is None and row.done_due_at == job.due_at(clock.now()) and row.last_result == 1
    finally:
        await engine.dispose()


async def test_a_failed_run_leaves_its_slot_due_and_a_dead_holders_lease_runs_out(pg_url):
    engine, table = await _schema(pg_url)
    clock = ManualClock(START)
    outcomes = ["fail", "ok", "ok"]
    runs: list[str] = []

    async def flaky(now: datetime) -> int:
        outcome = outcomes.pop(0)
        runs.append(outcome)
        if outcome == "fail":
            raise RuntimeError("the database went away")
        return 0

    job = Job("flaky", EVERY, flaky)
    replica = _scheduler(engine, table, [job], clock, "a", lease_seconds=60)
    other = _scheduler(engine, table, [job], clock, "b", lease_seconds=60)
    try:
        assert await replica.run_due() == {}  # failed: given back, the slot still due
        assert await other.run_due() == {"flaky": 0}
        assert runs == ["fail", "ok"]
        # A replica that took the lease and died: nobody runs the job until the lease runs out.
        clock.advance(EVERY)
        async with db.sessionmaker(engine)() as session, session.begin():
            await session.execute(table.update().values(holder="dead", lease_until=clock.now() + timedelta(seconds=60)))
        assert await replica.run_due() == {}
        clock.advance(seconds=61)
        assert await replica.run_due() == {"flaky": 0}
        assert runs == ["fail", "ok", "ok"]
    finally:
        await engine.dispose()


async def test_started_it_runs_due_jobs_by_itself_and_stops(sqlite_url):
    """What ``serve`` does through the host's start and stop hooks."""
    from testkit import wait_for

    engine, table = await _schema(sqlite_url)
    clock = ManualClock(START)
    runs: list[datetime] = []
    counted: list[datetime] = []

    async def job(now: datetime) -> int:
        runs.append(now)
        return 0

    async def count(now: datetime) -> None:
        counted.append(now)

    scheduler = Scheduler("test", db.sessionmaker(engine), table, [Job("job", EVERY, job)], clock=clock,
                          poll_seconds=0.05, every_pass=[count])
    try:
        await scheduler.start()
        await wait_for(lambda: len(counted) >= 3, what="three passes")
        assert runs == [START]  # one slot, however many passes
        clock.advance(EVERY)
        await wait_for(lambda: len(runs) == 2, what="the next slot")
    finally:
        await scheduler.stop()
        await engine.dispose()
