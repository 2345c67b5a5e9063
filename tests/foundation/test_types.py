"""UtcDateTime keeps the instant on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from servicekit import db
from servicekit.types import UtcDateTime
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

metadata = MetaData()
moments = Table("moments", metadata, Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))


async def test_an_asia_shanghai_instant_reads_back_as_the_same_instant(db_url):
    engine = db.create_engine(db_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            opening = datetime(2026, 3, 1, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
            await connection.execute(insert(moments).values(id=1, at=opening))
            stored = await connection.scalar(select(moments.c.at))
        assert stored == opening
        assert stored.tzinfo is not None and stored.utcoffset().total_seconds() == 0
        assert stored == datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    finally:
        await engine.dispose()


async def test_a_naive_datetime_is_refused(sqlite_url):
    engine = db.create_engine(sqlite_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            with pytest.raises(Exception, match="timezone-aware"):
                await connection.execute(insert(moments).values(id=1, at=datetime(2026, 3, 1, 8, 30)))
    finally:
        await engine.dispose()
