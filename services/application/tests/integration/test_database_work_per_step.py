"""The database work of a wizard step, the commonest request at a peak, on PostgreSQL.

A step reads its draft (with the reference version beside it) and writes it back: two statements.
It stages no event, so it does not wake the outbox relay; before this was checked every commit woke
the relay, and each step paid for a relay pass and a backlog count besides its own work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import grpc
import pytest
from servicekit.db import async_url
from sqlalchemy import event
from sqlalchemy.exc import PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncConnection
from tqr.application.v1 import wizard_pb2
from tqr_application.adapters.driver_statements import held_directly

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


async def test_a_step_pages_read_of_the_draft_is_its_statements_only(app, h):
    """Every page of the wizard asks for the draft before it is shown: a read, with no transaction
    around it (``ServiceContext.reading``): no BEGIN, no ROLLBACK."""
    who = h.new_applicant()
    await app.fill_until_point(who)
    with statements_of(engine_of(app.ctx)) as statements:
        reply = await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)
    assert reply.draft.current_step >= 5
    assert statements and not [s for s in statements if s.split()[0].rstrip(";").upper()
                               in ("BEGIN", "ROLLBACK", "COMMIT")], statements


async def test_a_wizard_steps_two_statements_go_to_asyncpg_itself(app, h):
    """Not through SQLAlchemy's execution, which cost more of the service's CPU than the statements'
    own work (adapters.driver_statements); statements_of sees them on the connection."""
    who = h.new_applicant()
    await app.fill_until_point(who)
    engine = engine_of(app.ctx)
    through_sqlalchemy: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        through_sqlalchemy.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        with statements_of(engine) as statements:
            await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == 2 and through_sqlalchemy == [], (statements, through_sqlalchemy)


async def test_a_wizard_step_asks_sqlalchemy_for_its_connection_once(app, h, monkeypatch):
    """The read and the write go to asyncpg on the one connection the step's session holds; it is
    found through SQLAlchemy once, not once per statement (adapters.driver_statements.held_directly)."""
    who = h.new_applicant()
    await app.fill_until_point(who)
    asked: list[str] = []
    get_raw_connection = AsyncConnection.get_raw_connection

    async def counted(self: AsyncConnection) -> Any:
        asked.append("raw connection")
        return await get_raw_connection(self)

    monkeypatch.setattr(AsyncConnection, "get_raw_connection", counted)
    with statements_of(engine_of(app.ctx)) as statements:
        reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert reply.draft.point_code == "11010801" and len(statements) == 2
    assert asked == ["raw connection"]


async def test_the_connection_found_for_a_step_is_used_only_while_the_session_holds_it(app):
    async with app.ctx.autocommitting() as session:
        first = await held_directly(session)
        assert first is not None and await held_directly(session) is first
        await session.commit()  # gives the connection back to the pool
        again = await held_directly(session)
        assert again is not None and again is not first and again.transaction is not first.transaction
        await again.connection.invalidate()  # as a lost connection is (driver_statements._translated)
        # Not the dead driver again: SQLAlchemy's refusal of the session's invalidated connection
        with pytest.raises(PendingRollbackError):
            await held_directly(session)
    async with app.ctx.transaction() as session:  # in a transaction: through SQLAlchemy
        assert await held_directly(session) is None


async def test_r_wiz_4_a_registry_certificates_photo_is_read_and_sent_only_when_asked_for(app, h):
    """Only step 4's page shows the registry photo: every other read of the draft and every step
    saved after the lookup is its statements alone and carries no photo (a person's photo, to the
    gateway for nothing), while the draft still says there is one."""
    who = h.new_applicant(document=h.REGISTRY_DOCUMENT, name="王小明")
    await app.fill_until_point(who, certificate=h.REGISTRY_CERTIFICATE)
    engine = engine_of(app.ctx)
    with statements_of(engine) as saved_statements:
        saved = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    with statements_of(engine) as read_statements:
        read = await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)
    with statements_of(engine) as asked_statements:
        asked = await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(with_photo=True), who.actor)
    assert saved.draft.certificate.locked and saved.draft.certificate.has_photo and read.draft.certificate.has_photo
    assert saved.draft.registry_photo == b"" and read.draft.registry_photo == b""
    assert asked.draft.registry_photo.startswith(b"\x89PNG")
    photo_reads = [s for s in saved_statements + read_statements + asked_statements if "photo" in s]
    assert len(saved_statements) == 2 and len(photo_reads) == 1 and photo_reads[0] in asked_statements, photo_reads


async def test_a_step_on_a_connection_the_server_dropped_is_unavailable_and_the_next_one_is_served(app, h, pg_url):
    """A connection PostgreSQL ended (a restart, a failover, pg_terminate_backend) fails the step
    that finds it with UNAVAILABLE, "try again", never a fault; the pool replaces it."""
    who = h.new_applicant()
    await app.fill_until_point(who)
    admin = await asyncpg.connect(async_url(pg_url).replace("postgresql+asyncpg", "postgresql"))
    try:
        ended = await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    assert ended > 0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        # At once: the connection came back to the pool moments ago, so it is not checked on the way out.
        await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    reply = await app.save(who, point=wizard_pb2.PointStep(point_code="11010801"))
    assert reply.draft.point_code == "11010801"


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
