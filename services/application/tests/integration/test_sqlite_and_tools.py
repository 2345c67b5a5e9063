"""The embedded default (SQLite): migrate, seed, import CLI, a submit and the R-WIZ-9 guards; and
the search benchmark script kept working with a small row count."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tqr_application
from servicekit import migrations
from sqlalchemy import select
from tqr.application.v1 import wizard_pb2
from tqr_application.adapters import orm
from tqr_application.bootstrap import build_context
from tqr_application.config import ApplicationSettings
from tqr_application.reference_data import SHIPPED_DEMO_DIRECTORY, PlanState, demo_plan_scenarios
from tqr_application.seed import seed_context

ROOT = Path(__file__).resolve().parents[4]
MIGRATIONS = Path(tqr_application.__file__).parent / "migrations"


async def test_r_wiz_9_idempotent_concurrent_submits_on_sqlite(sqlite_app, h):
    app = sqlite_app
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=h.materials()))
    request = wizard_pb2.SubmitApplicationRequest(idempotency_key=uuid.uuid4().hex, identity=who.identity)
    replies = await asyncio.gather(*(app.call(app.wizard.SubmitApplication, request, who.actor) for _ in range(10)))
    assert len({r.application_id for r in replies}) == 1
    assert await app.events("ApplicationSubmitted", replies[0].application_id) == 1
    same_certificate = replies[0].certificate_number
    with pytest.raises(Exception) as caught:
        await app.submit_new(who, certificate=same_certificate)
    assert h.refusal(caught).code == "R-WIZ-9"


async def test_seed_creates_every_plan_situation_relative_to_today(sqlite_url):
    migrations.upgrade(MIGRATIONS, sqlite_url)
    settings = ApplicationSettings(database_url=sqlite_url)
    ctx = build_context(settings)
    line = await seed_context(ctx)
    assert line.startswith("application: seeded") and "\n" not in line
    assert await seed_context(ctx) == "application: demo data already present"
    now = datetime.now(UTC)
    async with ctx.sessions() as session:
        plans = {r.authority_code: r for r in (await session.execute(select(orm.plans))).all()}
        points = (await session.execute(select(orm.plan_points))).all()

    def aware(d):
        return d if d.tzinfo else d.replace(tzinfo=UTC)

    states = {s.authority_code: s.state for s in demo_plan_scenarios()}
    for code, state in states.items():
        if state is PlanState.NO_PLAN:
            assert code not in plans
            continue
        plan = plans[code]
        opened, closed = aware(plan.online_start) <= now, aware(plan.online_end) < now
        assert (opened and not closed) == (state in (PlanState.OPEN, PlanState.OPEN_WITHOUT_POINTS)), code
        has_points = any(p.plan_id == plan.id for p in points)
        assert has_points == (state is not PlanState.OPEN_WITHOUT_POINTS), code


def _cli(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APPLICATION_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "tqr_application", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT)


def test_import_reference_cli_loads_all_or_nothing(sqlite_url, tmp_path):
    migrations.upgrade(MIGRATIONS, sqlite_url)
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in SHIPPED_DEMO_DIRECTORY.glob("*.csv"):
        (broken / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    text = (broken / "authorities.csv").read_text(encoding="utf-8")
    (broken / "authorities.csv").write_text(text + "999999,坏机构,000001,地址,电话\n", encoding="utf-8")
    failed = _cli("import-reference", str(broken), url=sqlite_url)
    assert failed.returncode == 1 and "authorities.csv row" in failed.stdout
    done = _cli("import-reference", str(SHIPPED_DEMO_DIRECTORY), url=sqlite_url)
    assert done.returncode == 0 and "imported" in done.stdout and "360 registry_certificates" in done.stdout
    again = _cli("import-reference", str(SHIPPED_DEMO_DIRECTORY), url=sqlite_url)
    assert again.returncode == 1 and "already stored" in again.stdout


def test_cli_still_offers_migrate_serve_seed(sqlite_url):
    assert _cli("migrate", url=sqlite_url).returncode == 0
    seeded = _cli("seed", url=sqlite_url)
    assert seeded.returncode == 0 and seeded.stdout.strip().count("\n") == 0


async def test_bench_search_runs_with_a_small_row_count(pg_url):
    spec = importlib.util.spec_from_file_location("bench_search", ROOT / "tools/bench_search.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = await bench.main(2000, pg_url, 500, 2)
    labels = [label for label, _, _ in results]
    assert "application number" in labels and all(ms >= 0 for _, ms, _ in results)
    assert dict((label, found) for label, _, found in results)["application number"] == 1
