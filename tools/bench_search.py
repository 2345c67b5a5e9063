"""Staff search at scale: fill a PostgreSQL database with N applications, time the staff queries.

    .venv/bin/python -m tools.bench_search --rows 1000000
    .venv/bin/python -m tools.bench_search --rows 2000 --database-url postgresql://…/db

Without --database-url a scratch database is created on the local PostgreSQL and dropped after.
Rows go in with COPY in batches; the queries are the ones StaffService runs (same code path:
``search_repository.search``), each timed over several runs (median, ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import testkit
import tqr_application
from servicekit import db, migrations
from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.adapters.search_repository import SearchFilter, search
from tqr_application.config import DEV_FIELD_KEYS
from tqr_application.domain import numbers
from tqr_application.domain.status import ApplicationStatus

MIGRATIONS = Path(tqr_application.__file__).parent / "migrations"
AUTHORITIES = [f"1101{n:02d}" for n in range(1, 21)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
STATUS_WEIGHTS = [
    (ApplicationStatus.SUBMITTED, 50),
    (ApplicationStatus.CONFIRMED, 25),
    (ApplicationStatus.MATERIALS_INCOMPLETE, 8),
    (ApplicationStatus.REGISTERED, 12),
    (ApplicationStatus.WRONG_AUTHORITY, 3),
    (ApplicationStatus.NOT_ELIGIBLE, 2),
]


@asynccontextmanager
async def scratch_database(url: str | None) -> AsyncIterator[str]:
    if url:
        yield url
        return
    async with testkit.postgres_database("tqr_bench") as created:
        yield created


async def prepare_reference(conn: asyncpg.Connection) -> dict[str, str]:
    """One region tree, 20 authorities with 3 points each and one plan each; returns plan ids."""
    now = datetime.now(UTC)
    await conn.execute(
        "INSERT INTO regions VALUES ('110000','北京市','PROVINCE',NULL),('110100','市辖区','CITY','110000')"
    )
    plan_ids = {}
    for code in AUTHORITIES:
        await conn.execute("INSERT INTO regions VALUES ($1,$2,'COUNTY','110100')", code, f"区{code}")
        await conn.execute("INSERT INTO authorities VALUES ($1,$2,$1,'','')", code, f"区{code}教育委员会")
        for p in range(1, 4):
            await conn.execute(
                "INSERT INTO confirmation_points VALUES ($1,$2,$3,'','','','')", f"{code}{p:02d}", code, f"确认点{p}"
            )
        plan_ids[code] = str(uuid.uuid4())
        await conn.execute(
            "INSERT INTO plans VALUES ($1,$2,'计划',$3,$4,$3)",
            plan_ids[code],
            code,
            now - timedelta(days=30),
            now + timedelta(days=30),
        )
    return plan_ids


def make_rows(
    start: int, count: int, plan_ids: dict[str, str], cipher: DocumentNumberCipher, rng: random.Random
) -> list[tuple[object, ...]]:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    rows: list[tuple[object, ...]] = []
    for i in range(start, start + count):
        authority = AUTHORITIES[i % len(AUTHORITIES)]
        sequence = i // len(AUTHORITIES) + 1
        document = f"110105{1960 + i % 40}0101{i % 10000:04d}"[:18]
        submitted = base + timedelta(seconds=i * 7)
        data = {"certificate": {"certificate_number": f"{20100000000000000 + i}"}, "materials": {"email": "a@b.cn"}}
        rows.append(
            (
                str(uuid.UUID(int=rng.getrandbits(128))),
                numbers.format(2026, authority, sequence),
                f"acct-{i}",
                f"key-{i}",
                plan_ids[authority],
                authority,
                f"{authority}{1 + i % 3:02d}",
                str(20100000000000000 + i),
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                cipher.index(document),
                cipher.seal(document),
                rng.choice(statuses).value,
                1,
                json.dumps(data),
                False,
                submitted,
                submitted,
            )
        )
    return rows


COLUMNS = [
    "id",
    "application_number",
    "applicant_id",
    "idempotency_key",
    "plan_id",
    "authority_code",
    "point_code",
    "certificate_number",
    "applicant_name",
    "document_index",
    "document_number_sealed",
    "status",
    "version",
    "data",
    "certificate_locked",
    "submitted_at",
    "updated_at",
]


async def fill(url: str, rows: int, batch: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        plan_ids = await prepare_reference(conn)
        cipher = DocumentNumberCipher(DEV_FIELD_KEYS, "dev-only-blind-index-key-change-me")
        rng = random.Random(20260301)
        for start in range(0, rows, batch):
            records = make_rows(start, min(batch, rows - start), plan_ids, cipher, rng)
            await conn.copy_records_to_table("applications", records=records, columns=COLUMNS)
        await conn.execute("ANALYZE applications")
    finally:
        await conn.close()


async def time_queries(url: str, runs: int) -> list[tuple[str, float, int]]:
    engine = db.create_engine(url)
    sessions = db.sessionmaker(engine)
    sample_number = numbers.format(2026, AUTHORITIES[3], 7)
    queries = {
        "authority, newest page": SearchFilter(authority_code=AUTHORITIES[0]),
        "authority + status": SearchFilter(authority_code=AUTHORITIES[1], status="CONFIRMED"),
        "point + status": SearchFilter(point_code=f"{AUTHORITIES[2]}01", status="SUBMITTED"),
        "application number": SearchFilter(authority_code=AUTHORITIES[3], application_number=sample_number),
        "name in authority": SearchFilter(authority_code=AUTHORITIES[4], applicant_name="王伟芳"),
    }
    results = []
    try:
        for label, where in queries.items():
            timings, found = [], 0
            async with sessions() as session:
                rows, token = await search(session, where, 20, None)
                for _ in range(runs):
                    started = time.perf_counter()
                    rows, token = await search(session, where, 20, None)
                    timings.append((time.perf_counter() - started) * 1000)
                found = len(rows)
                if token:  # a deep page: keyset costs the same as the first
                    started = time.perf_counter()
                    await search(session, where, 20, (rows[-1].submitted_at, rows[-1].id))
                    results.append((f"{label} (page 2)", (time.perf_counter() - started) * 1000, found))
            results.append((label, statistics.median(timings), found))
    finally:
        await engine.dispose()
    return results


async def main(rows: int, url: str | None, batch: int, runs: int) -> list[tuple[str, float, int]]:
    async with scratch_database(url) as database:
        migrations.upgrade(MIGRATIONS, database)
        started = time.perf_counter()
        await fill(database, rows, batch)
        print(f"filled {rows} applications in {time.perf_counter() - started:.1f} s")
        results = await time_queries(database, runs)
    for label, ms, found in results:
        print(f"{label:32s} {ms:8.2f} ms  ({found} rows)")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.database_url, args.batch, args.runs))
