"""The database work of a wizard step, the commonest request at a peak, on PostgreSQL.

A step reads its draft (with the reference version beside it) and writes it back: two statements.
It stages no event, so it does not wake the outbox relay; before this was checked every commit woke
the relay, and each step paid for a relay pass and a backlog count besides its own work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tqr.application.v1 import wizard_pb2

from services.application.tests.integration.statements import engine_of, statements_of


async def test_a_wizard_step_is_one_read_and_one_write(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)  # the process remembers reference data from here on
    with statements_of(engine_of(app.ctx)) as statements:
        reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert reply.draft.point_code == "11010801"
    assert len(statements) == 2, statements
    read, write = statements
    assert read.lstrip().startswith("SELECT drafts.data") and "reference_version" in read
    assert write.lstrip().startswith("UPDATE drafts")


@contextmanager
def relay_nudges(app: Any) -> Iterator[list[str]]:
    """Every nudge the service context gives the outbox relay while the block runs."""
    woken: list[str] = []
    nudge = app.ctx.after_commit
    app.ctx.after_commit = lambda: (woken.append("nudge"), nudge())[1]
    try:
        yield woken
    finally:
        app.ctx.after_commit = nudge


async def test_a_wizard_step_leaves_the_outbox_relay_asleep(app, h):
    who = h.new_applicant()
    await app.fill_until_point(who)
    with relay_nudges(app) as woken:
        reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert reply.draft.point_code == "11010801"  # the step was saved
    assert woken == []


async def test_a_submission_wakes_the_relay_once(app, h):
    who = h.new_applicant()
    with relay_nudges(app) as woken:
        await app.submit_new(who)
    assert woken == ["nudge"]  # the eight steps woke nothing; the submission staged its event
    assert await app.events("ApplicationSubmitted") >= 1
