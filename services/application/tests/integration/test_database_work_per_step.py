"""Only commits that staged events wake the outbox relay, on PostgreSQL.

A wizard step (the commonest request at a peak) stages none. Before this was checked every commit
woke the relay, and each step paid for a relay pass and a backlog count besides its own work.
"""

from __future__ import annotations

from tqr.application.v1 import wizard_pb2


async def test_a_wizard_step_leaves_the_outbox_relay_asleep(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    woken: list[str] = []
    nudge = app.ctx.after_commit
    app.ctx.after_commit = lambda: (woken.append("nudge"), nudge())[1]
    try:
        reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    finally:
        app.ctx.after_commit = nudge
    assert reply.draft.point_code == "11010801"  # the step was saved
    assert woken == []


async def test_a_submission_wakes_the_relay_once(app, h):
    who = h.new_applicant()
    woken: list[str] = []
    nudge = app.ctx.after_commit
    app.ctx.after_commit = lambda: (woken.append("nudge"), nudge())[1]
    try:
        await app.submit_new(who)
    finally:
        app.ctx.after_commit = nudge
    assert woken == ["nudge"]  # the eight steps woke nothing; the submission staged its event
    assert await app.events("ApplicationSubmitted") >= 1
