"""Migration 0008 pairs the applications already stored (R-STAFF-8): every two live applications of
different plans with the same certificate number are marked both ways; a withdrawn or decided one
and two of the same plan are not — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import tqr_application
from servicekit import db, migrations
from tqr_application.adapters import orm

MIGRATIONS = Path(tqr_application.__file__).parent / "migrations"
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
NUMBER = "20151100000000123"


def application(app_id: str, plan: str, authority: str, number: str, minutes: int, status: str) -> dict:
    return {
        "id": app_id, "application_number": f"2026{authority}{minutes:06d}00", "applicant_id": f"teacher-{app_id}",
        "idempotency_key": app_id, "plan_id": plan, "authority_code": authority, "point_code": f"{authority}01",
        "certificate_number": number, "applicant_name": "李老师", "document_index": "x" * 64,
        "document_number_sealed": "sealed", "status": status, "version": 1,
        "data": {"certificate": {"certificate_number": number}, "materials": {}},
        "certificate_locked": False, "submitted_at": AT + timedelta(minutes=minutes),
        "updated_at": AT + timedelta(minutes=minutes),
    }


async def test_r_staff_8_migration_marks_the_live_pairs_already_stored(db_url):
    migrations.upgrade(MIGRATIONS, db_url, "0009")
    engine = db.create_engine(db_url)
    rows = [
        application("a1", "plan-1", "110108", NUMBER, 1, "SUBMITTED"),
        application("a2", "plan-2", "110105", NUMBER, 2, "CONFIRMED"),
        application("a3", "plan-2", "110105", NUMBER, 3, "WITHDRAWN"),
        application("a4", "plan-1", "110108", "20151100000000999", 4, "SUBMITTED"),
        application("a5", "plan-1", "110108", NUMBER, 5, "WRONG_AUTHORITY"),  # same plan as a1: no pair with it
        application("a6", "plan-2", "110105", "20151100000000999", 6, "REGISTERED"),  # decided: final
    ]
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.insert(orm.regions).values(code="110000", name="北京市", level="PROVINCE"))
            for code in ("110108", "110105"):
                await connection.execute(sa.insert(orm.authorities).values(code=code, name=f"区{code}",
                                                                           region_code="110000"))
            for plan, authority in (("plan-1", "110108"), ("plan-2", "110105")):
                await connection.execute(sa.insert(orm.plans).values(
                    id=plan, authority_code=authority, name=plan, online_start=AT, online_end=AT, created_at=AT))
            await connection.execute(sa.insert(orm.applications), rows)

        migrations.upgrade(MIGRATIONS, db_url)

        async with engine.connect() as connection:
            t = orm.cross_plan_duplicates
            marks = (await connection.execute(sa.select(t))).all()
    finally:
        await engine.dispose()
    assert {(m.application_id, m.other_application_id, m.other_authority_code, m.other_plan_id) for m in marks} == {
        ("a1", "a2", "110105", "plan-2"), ("a2", "a1", "110108", "plan-1"),
        ("a5", "a2", "110105", "plan-2"), ("a2", "a5", "110108", "plan-1"),
    }
    since = {(m.application_id, m.other_application_id): m.since.replace(tzinfo=UTC) if m.since.tzinfo is None
             else m.since for m in marks}
    assert since[("a1", "a2")] == AT + timedelta(minutes=2)  # when the second of the pair came
