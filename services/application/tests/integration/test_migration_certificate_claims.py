"""Migration 0005 on rows written before R-WIZ-10/11: numbers stored full width or lower case become
canonical, the live key becomes (plan, certificate, applicant), and a duplicate the old code let in
keeps no second key — on SQLite (which copies the table) and PostgreSQL."""

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
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in NUMBER)
OLD_LIVE = sa.table("live_applications", sa.column("plan_id"), sa.column("certificate_number"),
                    sa.column("application_id"))


def application(app_id: str, applicant: str, number: str, minutes: int, status: str = "SUBMITTED") -> dict:
    return {
        "id": app_id, "application_number": f"2026110108{minutes:06d}00", "applicant_id": applicant,
        "idempotency_key": app_id, "plan_id": "plan-1", "authority_code": "110108", "point_code": "11010801",
        "certificate_number": number, "applicant_name": "李老师", "document_index": "x" * 64,
        "document_number_sealed": "sealed", "status": status, "version": 1,
        "data": {"certificate": {"certificate_number": number, "holder_name": "李老师"}, "materials": {}},
        "certificate_locked": False, "submitted_at": AT + timedelta(minutes=minutes),
        "updated_at": AT + timedelta(minutes=minutes),
    }


async def test_r_wiz_11_migration_makes_stored_numbers_canonical_and_rekeys_live_applications(db_url):
    migrations.upgrade(MIGRATIONS, db_url, "0004")
    engine = db.create_engine(db_url)
    rows = [
        application("a1", "teacher-x", FULL_WIDTH, 1),  # the defect: one applicant, one number typed two ways
        application("a2", "teacher-x", NUMBER, 2),
        application("a3", "teacher-y", "2015abc12345", 3),
        application("a4", "teacher-z", NUMBER, 4),  # another applicant, another plan's key before
        application("a5", "teacher-w", "20151100000000999", 5, status="WITHDRAWN"),
    ]
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.insert(orm.regions).values(code="110108", name="海淀区", level="COUNTY"))
            await connection.execute(sa.insert(orm.authorities).values(code="110108", name="海淀区教委",
                                                                       region_code="110108"))
            for plan in ("plan-1", "plan-2"):
                await connection.execute(sa.insert(orm.plans).values(
                    id=plan, authority_code="110108", name=plan, online_start=AT, online_end=AT, created_at=AT))
            await connection.execute(sa.insert(orm.applications), rows)
            await connection.execute(sa.update(orm.applications).where(orm.applications.c.id == "a4")
                                     .values(plan_id="plan-2"))
            await connection.execute(sa.insert(OLD_LIVE), [
                {"plan_id": "plan-1", "certificate_number": FULL_WIDTH, "application_id": "a1"},
                {"plan_id": "plan-1", "certificate_number": NUMBER, "application_id": "a2"},
                {"plan_id": "plan-1", "certificate_number": "2015abc12345", "application_id": "a3"},
                {"plan_id": "plan-2", "certificate_number": NUMBER, "application_id": "a4"},
            ])
            await connection.execute(sa.insert(orm.status_history), [
                {"application_id": r["id"], "from_status": "", "to_status": "SUBMITTED", "action": "SUBMIT",
                 "actor_role": "APPLICANT", "actor_id": r["applicant_id"], "actor_org": "", "at": AT, "reason": "",
                 "missing_materials": []} for r in rows])

        migrations.upgrade(MIGRATIONS, db_url)

        async with engine.connect() as connection:
            t = orm.applications
            stored = {r.id: r for r in (await connection.execute(sa.select(t))).all()}
            live = {r.application_id: r for r in (await connection.execute(sa.select(orm.live_applications))).all()}
            history = await connection.scalar(sa.select(sa.func.count()).select_from(orm.status_history))
    finally:
        await engine.dispose()
    assert {k: (r.certificate_number, r.data["certificate"]["certificate_number"]) for k, r in stored.items()} == {
        "a1": (NUMBER, NUMBER), "a2": (NUMBER, NUMBER), "a3": ("2015ABC12345", "2015ABC12345"),
        "a4": (NUMBER, NUMBER), "a5": ("20151100000000999", "20151100000000999")}
    assert stored["a3"].data["certificate"]["holder_name"] == "李老师"
    # The earlier of the applicant's two keeps the key; the other applicant keeps theirs.
    assert set(live) == {"a1", "a3", "a4"}
    assert (live["a1"].plan_id, live["a1"].certificate_number, live["a1"].applicant_id) == \
        ("plan-1", NUMBER, "teacher-x")
    assert live["a4"].applicant_id == "teacher-z" and live["a3"].certificate_number == "2015ABC12345"
    assert history == len(rows)  # the copied table kept what pointed at it
