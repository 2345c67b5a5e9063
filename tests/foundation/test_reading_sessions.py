"""Units of work that only read run without a transaction and refuse to write (servicekit.db).

A read in a transaction under READ COMMITTED sees nothing another statement of the same
transaction would not: the transaction only added a BEGIN and a ROLLBACK to every read request.
Without it a write would commit, where a reading session's used to vanish at the rollback, so a
reading session refuses writes of either kind (the ORM's flush, a Core statement)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from servicekit import db
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from testkit import postgres_database

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", String(40)))


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "mapped_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(40))


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with postgres_database() as url:
        engine = db.create_engine(url, pool_size=1, max_overflow=0)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(metadata.create_all)
                await connection.run_sync(Base.metadata.create_all)
                await connection.execute(insert(notes).values(id=1, body="kept"))
            yield engine
        finally:
            await engine.dispose()


def _sent_by(engine: AsyncEngine) -> list[str]:
    """What the connections send outside prepared statements, as asyncpg logs it: BEGIN, ROLLBACK."""
    sent: list[str] = []

    @event.listens_for(engine.sync_engine, "checkout")
    def _log(dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(_record)  # a set: once per connection

    def _record(query: Any) -> None:
        sent.append(query.query.strip().upper().rstrip(";"))

    return sent


async def test_a_read_sends_its_statements_and_no_begin_or_rollback(engine):
    sent = _sent_by(engine)
    async with db.reading_sessionmaker(engine)() as session:
        assert await session.scalar(select(notes.c.body).where(notes.c.id == 1)) == "kept"
        assert await session.scalar(text("SELECT count(*) FROM notes")) == 1
    # (SQLAlchemy's own prepared statements do not pass asyncpg's query logger; BEGIN and ROLLBACK
    # do, as the next test shows.)
    assert [q for q in sent if q.split()[0] in ("BEGIN", "ROLLBACK", "COMMIT")] == [], sent


async def test_the_ordinary_sessions_still_read_in_a_transaction(engine):
    """The control: the same read through ``db.sessionmaker`` is framed by BEGIN and ROLLBACK."""
    sent = _sent_by(engine)
    async with db.sessionmaker(engine)() as session:
        assert await session.scalar(select(notes.c.body).where(notes.c.id == 1)) == "kept"
    assert [q.split()[0] for q in sent if q.split()[0] in ("BEGIN", "ROLLBACK")] == ["BEGIN", "ROLLBACK"], sent


@pytest.mark.parametrize("statement", [
    insert(notes).values(id=2, body="new"),
    update(notes).where(notes.c.id == 1).values(body="changed"),
    notes.delete().where(notes.c.id == 1),
], ids=["insert", "update", "delete"])
async def test_a_reading_session_refuses_a_write_statement_and_changes_nothing(engine, statement):
    async with db.reading_sessionmaker(engine)() as session:
        with pytest.raises(db.WriteInReadingSession):
            await session.execute(statement)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(notes.c.id, notes.c.body).order_by(notes.c.id))).all()
    assert [tuple(r) for r in rows] == [(1, "kept")]


async def test_a_reading_session_refuses_to_flush_changed_objects_and_changes_nothing(engine):
    async with db.reading_sessionmaker(engine)() as session:
        session.add(Note(id=7, body="added"))
        with pytest.raises(db.WriteInReadingSession):
            await session.flush()
    async with engine.connect() as connection:
        assert (await connection.execute(select(Note.id))).all() == []
