"""Migration 0015 gives the drafts already stored their open plan, on SQLite and PostgreSQL: the
reminder before a plan's online window closes (R-APP-9) finds them by it from then on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import tqr_application
from servicekit import db, migrations
from servicekit.types import UtcDateTime

MIGRATIONS = Path(tqr_application.__file__).parent / "migrations"
# The drafts table as revision 0014 left it (no open_plan_id yet).
DRAFTS_0014 = sa.table("drafts", sa.column("applicant_id", sa.String), sa.column("data", sa.JSON),
                       sa.column("started_at", UtcDateTime()), sa.column("updated_at", UtcDateTime()))
STORED = {
    "open": {"draft": {"authority": {"plan_id": "plan-a"}, "submission": None}, "identity": {}},
    "submitted": {"draft": {"authority": {"plan_id": "plan-a"},
                            "submission": {"application_number": "2026110108000001"}}, "identity": {}},
    "before-step-4": {"draft": {"authority": None, "submission": None}, "identity": {}},
}


async def test_r_app_9_drafts_stored_before_0015_get_their_open_plan(db_url: str) -> None:
    migrations.upgrade(MIGRATIONS, db_url, "0014")
    engine = db.create_engine(db_url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.insert(DRAFTS_0014), [
                {"applicant_id": who, "data": data, "started_at": now, "updated_at": now}
                for who, data in STORED.items()])
        migrations.upgrade(MIGRATIONS, db_url)
        async with engine.connect() as connection:
            found = dict((await connection.execute(sa.text("SELECT applicant_id, open_plan_id FROM drafts"))).all())
    finally:
        await engine.dispose()
    assert found == {"open": "plan-a", "submitted": None, "before-step-4": None}
