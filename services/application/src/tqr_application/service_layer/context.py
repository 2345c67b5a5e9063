"""What every handler needs: sessions, the one clock, the cipher, the outbox writer and settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from servicekit.clock import Clock
from servicekit.outbox import OutboxWriter, staged_events
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.config import ApplicationSettings
from tqr_application.metrics import STATUS_CHANGES, STATUS_CHANGES_KEY


@dataclass
class ServiceContext:
    sessions: async_sessionmaker[AsyncSession]
    autocommit_sessions: async_sessionmaker[AsyncSession]  # every statement commits as it runs
    reading_sessions: async_sessionmaker[AsyncSession]  # no transaction; refuses to write
    clock: Clock
    cipher: DocumentNumberCipher
    events: OutboxWriter
    settings: ApplicationSettings
    # Called after a commit that staged events (the host's relay nudge).
    after_commit: Callable[[], None] = field(default=lambda: None)

    def now(self) -> datetime:
        return self.clock.now()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success (then nudge the relay and count what happened), roll
        back on error."""
        async with self.sessions() as session:
            async with session.begin():
                yield session
            changes = session.info.pop(STATUS_CHANGES_KEY, [])
            staged = staged_events(session)
        if staged:
            self.after_commit()
        for to_status in changes:
            STATUS_CHANGES.labels(to_status).inc()

    @asynccontextmanager
    async def autocommitting(self) -> AsyncIterator[AsyncSession]:
        """A unit of work with no transaction: each statement commits as it runs.

        For work that reads, decides, and then writes once with a statement that checks what was
        read is still there (a wizard step: ``draft_repository.save``); work that only reads uses
        ``reading``. Such work needs no BEGIN and COMMIT, two of a step's four round trips to the
        database. It must not stage events:
        those belong in the same transaction as the change they announce."""
        async with self.autocommit_sessions() as session:
            yield session
            if staged_events(session):
                raise RuntimeError("events staged outside a transaction; use ServiceContext.transaction")

    def reading(self) -> AsyncSession:
        """A unit of work that only reads (``async with``): no transaction, and it refuses to write
        (``servicekit.db.reading_sessionmaker``)."""
        return self.reading_sessions()


def aware(instant: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything is written in UTC."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
