"""R-APP-9 through the service's scheduled jobs (servicekit.scheduler) on PostgreSQL, with the
injectable clock and the real broker: 逾期未确认 at the end of a point's confirmation window, and
reminders before the online and confirmation windows close; each job idempotent, and two replicas'
schedulers at once run a job once.

Fixture windows (conftest): plan of 110108 online START-1d .. START+10d; point 11010801 confirms
until START+5d, point 11010802 until START+20d.
"""

from __future__ import annotations

import asyncio

from servicekit import envelope
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql
from tqr.application.v1 import events_pb2, staff_pb2, status_pb2
from tqr_application.adapters import orm
from tqr_application.bootstrap import build_scheduler
from tqr_application.service_layer import deadlines


async def _status(app, application_id: str) -> str:
    async with app.ctx.sessions() as session:
        return await session.scalar(select(orm.applications.c.status).where(orm.applications.c.id == application_id))


async def _history(app, application_id: str):
    async with app.ctx.sessions() as session:
        return (await session.execute(select(orm.status_history).where(
            orm.status_history.c.application_id == application_id).order_by(orm.status_history.c.id))).all()


async def _reminders(app) -> list[events_pb2.DeadlineReminder]:
    async with app.ctx.sessions() as session:
        rows = (await session.execute(select(orm.outbox.c.envelope).where(
            orm.outbox.c.event_type == "tqr.application.v1.DeadlineReminder").order_by(orm.outbox.c.created_at))).all()
    found = []
    for row in rows:
        event = events_pb2.DeadlineReminder()
        envelope.parse(row.envelope).payload.Unpack(event)
        found.append(event)
    return found


async def _last_status_event(app, application_id: str) -> events_pb2.ApplicationStatusChanged:
    async with app.ctx.sessions() as session:
        rows = (await session.execute(select(orm.outbox.c.envelope).where(
            orm.outbox.c.aggregate_id == application_id,
            orm.outbox.c.event_type == "tqr.application.v1.ApplicationStatusChanged").order_by(
                orm.outbox.c.created_at))).all()
    event = events_pb2.ApplicationStatusChanged()
    envelope.parse(rows[-1].envelope).payload.Unpack(event)
    return event


async def test_r_app_9_unconfirmed_applications_become_overdue_when_the_window_ends(app, h):
    point = h.staff("POINT_STAFF", "11010801")
    waiting = await app.submit_new(point="11010801")
    incomplete = await app.submit_new(point="11010801")
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=incomplete.application_id, action="MARK_MATERIALS_INCOMPLETE",
        missing_materials=["体检表"]), point)
    confirmed = await app.submit_new(point="11010801")
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=confirmed.application_id, action="CONFIRM_ON_SITE"), point)
    later_point = await app.submit_new(point="11010802")  # its window runs on

    app.clock.set(h.START + 5 * h.DAY)  # the last instant of 11010801's window: still in time
    assert await deadlines.expire_unconfirmed(app.ctx, app.clock.now()) == 0
    app.clock.advance(seconds=1)
    assert await deadlines.expire_unconfirmed(app.ctx, app.clock.now()) == 2
    assert await deadlines.expire_unconfirmed(app.ctx, app.clock.now()) == 0  # run twice: once

    for done, before in ((waiting, "SUBMITTED"), (incomplete, "MATERIALS_INCOMPLETE")):
        assert await _status(app, done.application_id) == "OVERDUE_UNCONFIRMED"
        last = (await _history(app, done.application_id))[-1]
        assert (last.from_status, last.to_status, last.action, last.actor_role) == (
            before, "OVERDUE_UNCONFIRMED", "EXPIRE_UNCONFIRMED", "SYSTEM")
        event = await _last_status_event(app, done.application_id)
        assert event.to_status == status_pb2.OVERDUE_UNCONFIRMED and event.status_label == "逾期未确认"
        assert event.actor_role == "SYSTEM"
        assert await app.published("ApplicationStatusChanged", done.application_id) == (
            2 if before == "MATERIALS_INCOMPLETE" else 1)
    assert await _status(app, confirmed.application_id) == "CONFIRMED"
    assert await _status(app, later_point.application_id) == "SUBMITTED"
    # Final: the point can no longer confirm it.
    refused = await app.refused(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=waiting.application_id, action="CONFIRM_ON_SITE"), point)
    assert refused.code == "R-APP-2"


async def test_r_app_9_reminders_before_the_windows_close_once_per_applicant_and_window(any_app, h):
    app = any_app  # SQLite (make run) as well
    draft_owner = h.new_applicant()
    await app.fill_until_point(draft_owner)  # a draft in 110108's plan, not submitted
    waiting = await app.submit_new(point="11010801")
    confirmed = await app.submit_new(point="11010801")
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=confirmed.application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", "11010801"))
    submitted_owner = h.new_applicant()
    await app.submit_new(submitted_owner, point="11010802")  # its draft is submitted: no online reminder

    # Three days before 11010801's window ends (START+5d): its unconfirmed application only.
    app.clock.set(h.START + 2 * h.DAY)
    assert await deadlines.send_reminders(app.ctx, app.clock.now()) == 1
    assert await deadlines.send_reminders(app.ctx, app.clock.now()) == 0  # run twice: once
    (first,) = await _reminders(app)
    assert first.window == events_pb2.REMINDER_WINDOW_CONFIRMATION
    assert first.application_id == waiting.application_id and first.point_name == "海淀一号确认点"
    assert first.closes_at.ToDatetime().replace(tzinfo=h.START.tzinfo) == h.START + 5 * h.DAY
    assert first.status == status_pb2.SUBMITTED

    # Three days before the online window ends (START+10d): the draft not yet submitted.
    app.clock.set(h.START + 7 * h.DAY)
    assert await deadlines.send_reminders(app.ctx, app.clock.now()) == 1
    app.clock.advance(hours=12)
    assert await deadlines.send_reminders(app.ctx, app.clock.now()) == 0
    reminders = await _reminders(app)
    assert len(reminders) == 2
    online = reminders[-1]
    assert online.window == events_pb2.REMINDER_WINDOW_ONLINE
    assert online.applicant_id == draft_owner.actor.subject_id and not online.application_id
    assert online.authority_name == "区110108教育委员会"
    assert await app.published("DeadlineReminder", draft_owner.actor.subject_id) == 1


async def test_r_app_9_the_online_reminder_finds_a_plans_open_drafts_by_index(app, h):
    """Millions of drafts at a peak: the reminder's look-up is an index range of one plan's open
    drafts; it used to read every draft's JSON, at every batch of every pass."""
    owners = [h.new_applicant() for _ in range(3)]
    for owner in owners:
        await app.fill_until_point(owner)
    await app.submit_from_point(owners[0])
    async with app.ctx.sessions() as session:
        open_plans = dict((await session.execute(select(orm.drafts.c.applicant_id, orm.drafts.c.open_plan_id))).all())
        plan_id = next(p for p in open_plans.values() if p)
        # A pod of the release before the column submitted this one and left the column as it was.
        d = orm.drafts
        await session.execute(d.update().where(d.c.applicant_id == owners[0].actor.subject_id).values(
            open_plan_id=plan_id))
        lookup = deadlines.open_drafts_to_remind(plan_id, f"online:{plan_id}")
        sql = str(lookup.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        await session.execute(text("SET LOCAL enable_seqscan = off"))  # as with a large table
        plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
        found = list(await session.scalars(lookup))
    assert open_plans[owners[0].actor.subject_id] is None  # submitted: no longer open
    assert all(open_plans[o.actor.subject_id] == plan_id for o in owners[1:])
    assert sorted(found) == sorted(o.actor.subject_id for o in owners[1:])
    assert "ix_drafts_open_plan" in plan and "Index Cond" in plan, plan


async def test_r_app_9_two_replicas_schedulers_run_the_overdue_job_once(app, h):
    done = [await app.submit_new(point="11010801") for _ in range(3)]
    app.clock.set(h.START + 5 * h.DAY + h.DAY / 24)
    first, second = build_scheduler(app.ctx), build_scheduler(app.ctx)  # two replicas, one database
    results = await asyncio.gather(first.run_due(), second.run_due())
    ran = [r["expire-unconfirmed"] for r in results if "expire-unconfirmed" in r]
    assert ran == [3]
    assert await first.run_due() == {} and await second.run_due() == {}  # this slot is done
    for submitted in done:
        assert [r.to_status for r in await _history(app, submitted.application_id)].count("OVERDUE_UNCONFIRMED") == 1
        assert await app.published("ApplicationStatusChanged", submitted.application_id) == 1

