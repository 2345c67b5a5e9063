"""Reference data and plans remembered per process (adapters/reference_cache.py), on PostgreSQL.

A wizard step after the first reads none of the reference tables; a change committed through any
process (another engine stands in for another replica) is seen by the next unit of work.
"""

from __future__ import annotations

import re
from dataclasses import replace

from servicekit import db
from tqr.application.v1 import application_pb2, applications_pb2, plans_pb2, wizard_pb2
from tqr_application.adapters import orm
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref

from services.application.tests.integration.statements import engine_of, statements_of

REFERENCE_TABLES = ("regions", "authorities", "confirmation_points", "teaching_stages", "subjects",
                    "certificate_types", "plans", "plan_points")


def reference_tables_read(statements: list[str]) -> set[str]:
    return {table for s in statements for table in REFERENCE_TABLES
            if re.search(rf"\bFROM {table}\b", s) and s.lstrip().upper().startswith("SELECT")}


async def rename(app, h, plan: plans_pb2.Plan, name: str) -> None:
    """The plan saved again by its authority's admin under ``name``, its windows as they were."""
    await app.call(app.plans.UpdatePlan, plans_pb2.UpdatePlanRequest(
        plan_id=plan.plan_id, name=name, online_start=plan.online_start, online_end=plan.online_end,
        points=[plans_pb2.PointWindowInput(point_code=p.point_code, confirm_start=p.confirm_start,
                                           confirm_end=p.confirm_end) for p in plan.points]),
        h.staff("AUTHORITY_ADMIN", plan.authority_code))


async def test_a_wizard_step_after_the_first_reads_no_reference_table(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)  # the first steps fill this process's memory
    with statements_of(engine_of(app.ctx)) as statements:
        reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert reply.draft.current_step == 6 and reply.draft.point_code == "11010801"
    assert statements, "the step should still read and write the draft"
    assert reference_tables_read(statements) == set()


async def test_a_plan_changed_by_staff_shows_in_the_next_wizard_step(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    plan = (await app.call(app.plans.ListPlans, plans_pb2.ListPlansRequest(authority_code="110108"), admin)).plans[0]
    await rename(app, h, plan, "2026年定期注册（调整后）")
    with statements_of(engine_of(app.ctx)) as statements:
        reply = await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    assert "plans" in reference_tables_read(statements)  # the version moved: read afresh
    assert reply.draft.plan.name == "2026年定期注册（调整后）"


async def test_another_replica_sees_a_committed_change_with_its_next_unit_of_work(pg_url, app):
    """Two engines on one database: what one commits, the other's next session sees."""
    other = db.create_engine(pg_url)
    try:
        other_sessions = db.sessionmaker(other)
        async with other_sessions() as session:  # the other replica remembers the plan and the point
            before = await plans_repo.get_plan(session, app.plan_ids["110108"])
            point_before = await ref.get_point(session, "11010801")
        assert before is not None and point_before is not None
        with statements_of(other) as statements:
            async with other_sessions() as session:
                assert await plans_repo.get_plan(session, app.plan_ids["110108"]) == before
        assert reference_tables_read(statements) == set()  # remembered

        async with app.ctx.transaction() as session:  # this replica changes both
            await plans_repo.replace_plan(session, replace(before, title="改名后的计划"))
            await plans_repo.set_point_notes(session, "11010801", "请携带身份证原件")

        async with other_sessions() as session:
            after = await plans_repo.get_plan(session, app.plan_ids["110108"])
            point_after = await ref.get_point(session, "11010801")
        assert after is not None and after.title == "改名后的计划"
        assert point_after is not None and point_after[1] == "请携带身份证原件"
    finally:
        await other.dispose()


async def test_a_session_that_wrote_reference_data_reads_its_own_rows(app):
    async with app.ctx.transaction() as session:
        before = await plans_repo.get_plan(session, app.plan_ids["110105"])
        assert before is not None
        await plans_repo.replace_plan(session, replace(before, title="同一事务内改名"))
        inside = await plans_repo.get_plan(session, app.plan_ids["110105"])
        assert inside is not None and inside.title == "同一事务内改名"


async def _current_plans(app) -> dict[str, plans_pb2.Plan]:
    reply = await app.plans.ListCurrentPlans(plans_pb2.ListCurrentPlansRequest(), timeout=20)  # public
    return {p.plan_id: p for p in reply.plans}


async def test_the_current_plans_are_read_once_until_a_plan_is_saved(app, h):
    """Every home page and every step-4 page lists them: one read of the version per visit, not two
    statements and a unit of work per plan (a visit cost the service 29 ms of CPU with 63 plans)."""
    first = await _current_plans(app)  # read, and remembered
    with statements_of(engine_of(app.ctx)) as statements:
        again = await _current_plans(app)
    assert again == first and app.plan_ids["110108"] in again
    assert reference_tables_read(statements) == set() and len(statements) == 1, statements  # the version

    plan = first[app.plan_ids["110108"]]
    await rename(app, h, plan, "2026年定期注册（延长）")
    with statements_of(engine_of(app.ctx)) as statements:
        after = await _current_plans(app)
    assert "plans" in reference_tables_read(statements)  # the version moved: read afresh
    assert after[plan.plan_id].name == "2026年定期注册（延长）"


async def test_a_remembered_plan_leaves_the_current_plans_when_its_last_window_ends(app, h):
    # Time moves and no plan is saved: what was read is checked again against the clock; a clock
    # set back (only tests do that) reads again.
    ours = set(app.plan_ids.values())
    assert app.plan_ids["110108"] in await _current_plans(app)
    app.clock.set(h.START + 21 * h.DAY)  # every window of the test's plans has ended
    assert not set(await _current_plans(app)) & ours
    app.clock.set(h.START)
    assert app.plan_ids["110108"] in await _current_plans(app)


async def test_step_4s_search_for_a_place_is_one_call_over_the_remembered_regions(app, h):
    """Each county (or city without counties) whose path holds the text, in code order; walking the
    tree through ListRegions instead cost the gateway a call per province and per city."""
    async def search(text: str, limit: int = 0) -> list[tuple[str, str]]:
        reply = await app.reference.SearchRegions(application_pb2.SearchRegionsRequest(text=text, limit=limit),
                                                  timeout=20)  # public, as ListRegions
        return [(m.code, m.path) for m in reply.matches]

    regions = await app.reference.ListRegions(application_pb2.ListRegionsRequest(parent_code="110100"), timeout=20)
    haidian = next(r for r in regions.regions if r.code == "110108")
    found = await search(haidian.name)
    assert [code for code, _ in found] == ["110108"] and found[0][1].endswith(f" {haidian.name}")
    everywhere = await search("北京")  # the province's name: every county of it, in code order
    assert [code for code, _ in everywhere] == sorted(r.code for r in regions.regions)[:12]
    assert len(await search("北京", limit=2)) == 2
    assert await search("  ") == [] and await search("火星") == []
    with statements_of(engine_of(app.ctx)) as statements:
        assert await search(haidian.name) == found
    assert reference_tables_read(statements) == set()  # remembered


async def test_a_draft_names_the_reference_version_it_was_read_beside_and_a_saved_plan_moves_it(app, h):
    """What lets the gateway remember code lists, regions, authorities and plans per version
    (Draft.reference_version): the number is the database's, and a change of reference data moves it."""
    who = h.new_applicant()
    await app.fill_until_point(who)
    first = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft.reference_version
    async with app.ctx.sessions() as session:
        stored = await session.scalar(orm.reference_version.select().with_only_columns(orm.reference_version.c.version))
    assert first == stored and first > 0
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    plan = (await app.call(app.plans.ListPlans, plans_pb2.ListPlansRequest(authority_code="110108"), admin)).plans[0]
    await rename(app, h, plan, "2026年定期注册（版本）")
    again = (await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)).draft
    saved = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert again.reference_version > first and saved.draft.reference_version == again.reference_version


async def test_an_application_names_the_reference_version_it_was_read_at(app, h):
    """As a draft does: the applicant's page of the application remembers code names per version."""
    who = h.new_applicant()
    done = await app.submit_new(who)
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=done.application_id), who.actor)).application
    async with app.ctx.sessions() as session:
        stored = await session.scalar(orm.reference_version.select().with_only_columns(orm.reference_version.c.version))
    assert view.reference_version == stored > 0

