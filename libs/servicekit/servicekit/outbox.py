"""Transactional outbox: events are rows written with the state change, published by a relay.

The handler stages an event in the same database transaction as its state change; if the
transaction rolls back, the event never existed. The relay publishes committed rows with broker
confirms and marks each one only after the confirm, so a crash between the two publishes the event
again (consumers de-duplicate on the event id) rather than losing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit import correlation, envelope, metrics
from servicekit.clock import Clock, SystemClock

log = logging.getLogger(__name__)

# Marks a session that staged events, so only commits that did wake the relay (a wizard step, the
# commonest write, stages none; waking the relay for it cost a database pass per step).
STAGED_KEY = "servicekit.outbox.staged"


def staged_events(session: AsyncSession) -> bool:
    """Whether ``session`` staged events since the last call; forgets the mark."""
    return bool(session.info.pop(STAGED_KEY, False))


class OutboxWriter:
    """Stages events in the caller's open transaction."""

    def __init__(self, table: Table, producer: str, clock: Clock | None = None) -> None:
        self.table = table
        self.producer = producer
        self.clock = clock or SystemClock()

    async def stage(
        self, session: AsyncSession, message: Message, aggregate_id: str, schema_version: int = 1
    ) -> str:
        now = self.clock.now()
        env = envelope.build(
            message,
            producer=self.producer,
            aggregate_id=aggregate_id,
            correlation_id=correlation.ensure(),
            occurred_at=now,
            schema_version=schema_version,
        )
        await session.execute(
            insert(self.table).values(
                event_id=env.event_id,
                event_type=env.type,
                aggregate_id=aggregate_id,
                envelope=env.SerializeToString(),
                created_at=now,
                attempts=0,
            )
        )
        session.info[STAGED_KEY] = True
        return env.event_id


class EventPublisher:
    """What the relay needs of the bus (``servicekit.bus.publisher.Publisher`` implements it)."""

    async def publish(self, body: bytes, *, event_type: str, event_id: str, correlation_id: str) -> None:
        raise NotImplementedError


class OutboxRelay:
    """Publishes committed outbox rows, a batch of the oldest at a time, and marks each after the
    broker's confirm."""

    def __init__(
        self,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        table: Table,
        publisher: EventPublisher,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 100,
        clock: Clock | None = None,
        reading: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.service = service
        self.sessions = sessions
        # The backlog's count only reads: a reading session (db.reading_sessionmaker) sends it
        # without the BEGIN and ROLLBACK a transaction's session adds to every poll of every replica.
        self.reading = reading or sessions
        self.table = table
        self.publisher = publisher
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.clock = clock or SystemClock()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._backlog_recorded_at = float("-inf")

    def nudge(self) -> None:
        """Called after a commit that staged events, so they go out without waiting for a poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.service}-outbox-relay")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task:
            await self._task

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            # Cleared before the pass, not after: a nudge for a commit that lands during the pass
            # must start another pass at once, not wait for the next poll.
            self._wake.clear()
            try:
                published = await self.publish_pending()
                failures = 0
            except Exception:
                failures += 1
                log.warning("outbox relay pass failed; will retry", exc_info=True)
                published = 0
            now = time.monotonic()
            if now - self._backlog_recorded_at >= self.poll_seconds:
                # A gauge for dashboards: once per poll is enough, not once per nudge.
                self._backlog_recorded_at = now
                await self._record_backlog()
            if published >= self.batch_size:
                continue  # more rows are probably waiting
            delay = self.poll_seconds if failures == 0 else _backoff(self.poll_seconds, failures)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of unpublished rows; returns how many went out."""
        t = self.table
        async with self.sessions() as session, session.begin():
            # SKIP LOCKED lets several replicas relay one PostgreSQL database without publishing
            # the same row twice at once; SQLite ignores it (one writer at a time anyway).
            rows = (
                await session.execute(
                    select(t.c.event_id, t.c.event_type, t.c.envelope)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.created_at)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            # All of the batch's publishes are in flight at once and their confirms awaited together:
            # one broker round trip for a burst of submissions, not one each. A row whose publish
            # failed stays unpublished for a later pass; consumers neither need nor get the order.
            outcomes = await asyncio.gather(*(self._publish(row) for row in rows), return_exceptions=True)
            confirmed = [row for row, outcome in zip(rows, outcomes, strict=True) if outcome is None]
            for row, outcome in zip(rows, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    await self._record_failure(session, row, outcome)
            if confirmed:
                await session.execute(
                    update(t)
                    .where(t.c.event_id.in_([row.event_id for row in confirmed]))
                    .values(published_at=self.clock.now())
                )
            for row in confirmed:
                metrics.EVENTS_PUBLISHED.labels(self.service, row.event_type).inc()
        return len(confirmed)

    async def _publish(self, row: Any) -> None:
        env = envelope.parse(row.envelope)
        await self.publisher.publish(
            row.envelope, event_type=row.event_type, event_id=row.event_id, correlation_id=env.correlation_id
        )

    async def _record_failure(self, session: AsyncSession, row: Any, error: BaseException) -> None:
        metrics.EVENT_PUBLISH_FAILURES.labels(self.service).inc()
        await session.execute(
            update(self.table)
            .where(self.table.c.event_id == row.event_id)
            .values(attempts=self.table.c.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:500])
        )
        log.warning("publish failed; the event stays in the outbox",
                    extra={"event_id": row.event_id, "event_type": row.event_type})

    async def _record_backlog(self) -> None:
        t = self.table
        try:
            async with self.reading() as session:
                count, oldest = (
                    await session.execute(
                        select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
                    )
                ).one()
        except Exception:
            return
        metrics.OUTBOX_BACKLOG.labels(self.service).set(count)
        metrics.OUTBOX_OLDEST_AGE.labels(self.service).set(_age(self.clock.now(), oldest))


# After failed passes the relay waits longer, doubling from the poll interval up to this.
MAX_RETRY_PAUSE_SECONDS = 5.0


def _backoff(poll_seconds: float, failures: int) -> float:
    # The exponent is capped: as a float, 2**failures overflows after 1,024 failures in a row (an
    # outage of about an hour and a half), and the OverflowError used to end the relay for good.
    return min(MAX_RETRY_PAUSE_SECONDS, poll_seconds * 2 ** min(failures, 32))


def _age(now: datetime, oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite returns naive datetimes; they were written in UTC
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())
