"""Delivery rows: staged by the event handler, claimed and marked by the dispatcher.

Claiming is a lease: the claimer writes its token and a ``claimed_until`` time, sends, and marks the
row only if its token is still there. A claimer that dies leaves the lease to run out, after which
another claims the row again. On PostgreSQL the claim also uses ``FOR UPDATE SKIP LOCKED`` so that
replicas claiming at the same moment pass over each other's rows instead of waiting; on SQLite the
single writer serialises claims, and the guarded UPDATE keeps a stale reader from double-claiming.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Insert, Table, and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tqr_notification.adapters.orm import deliveries, inbox_messages
from tqr_notification.domain.delivery import DeliveryStatus
from tqr_notification.domain.rendering import RenderedMessage

QUEUED = "QUEUED"
# Deliveries are claimed by priority: every due NORMAL one before any LOW one (broadcasts).
NORMAL = 0
LOW = 1


def idempotency_key(event_id: str, channel: str, recipient_id: str) -> str:
    return f"{event_id}:{channel}:{recipient_id}"


@dataclass(frozen=True)
class NewDelivery:
    event_id: str
    event_type: str
    channel: str
    recipient_id: str
    content_sealed: str
    destination_sealed: str | None = None
    priority: int = NORMAL
    # What makes a copy unique in place of the event id: "broadcast:<id>" for a broadcast, whose
    # recipients may come in more than one event (a page published again).
    dedupe_id: str | None = None

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.dedupe_id or self.event_id, self.channel, self.recipient_id)


@dataclass(frozen=True)
class ClaimedDelivery:
    delivery_id: str
    idempotency_key: str
    event_id: str
    event_type: str
    channel: str
    recipient_id: str
    destination_sealed: str | None
    content_sealed: str
    attempts: int
    claim_token: str
    priority: int = NORMAL


@dataclass(frozen=True)
class Outcome:
    """How a claimed delivery ends this round: ``status`` QUEUED means "try again at next_attempt_at"."""

    status: str
    attempts: int
    provider_answer: str
    provider_message_id: str | None = None
    next_attempt_at: datetime | None = None


async def stage_delivery(
    session: AsyncSession, new: NewDelivery, now: datetime, *, delivered_in_app: str | None = None
) -> str:
    """Insert a QUEUED row (or, for the in-app channel, a SENT row naming the inbox message).

    The UNIQUE idempotency key makes a second insert for the same (event, channel, recipient) fail.
    """
    delivery_id = str(uuid.uuid4())
    sent = delivered_in_app is not None
    await session.execute(
        insert(deliveries).values(
            delivery_id=delivery_id,
            idempotency_key=new.idempotency_key,
            event_id=new.event_id,
            event_type=new.event_type,
            channel=new.channel,
            recipient_id=new.recipient_id,
            destination_sealed=new.destination_sealed,
            content_sealed=new.content_sealed,
            status=DeliveryStatus.SENT.value if sent else QUEUED,
            attempts=1 if sent else 0,
            next_attempt_at=now,
            provider_answer="stored in the in-app inbox" if sent else None,
            provider_message_id=delivered_in_app,
            created_at=now,
            finished_at=now if sent else None,
            priority=new.priority,
        )
    )
    return delivery_id


def _insert_ignoring_duplicates(session: AsyncSession, table: Table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike."""
    make = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    return make(table).on_conflict_do_nothing()


@dataclass(frozen=True)
class FanOutCopy:
    """One recipient's copy of a fanned-out message (a broadcast's page)."""

    recipient_id: str
    with_email: bool


async def stage_fan_out(
    session: AsyncSession, *, event_id: str, event_type: str, dedupe_id: str, copies: Sequence[FanOutCopy],
    inapp_sealed: str, email_sealed: str, wording: Mapping[str, RenderedMessage], now: datetime,
) -> int:
    """Each recipient's inbox message (its in-app delivery SENT) and email delivery (QUEUED, LOW),
    at most once per (``dedupe_id``, channel, recipient) however often a recipient comes again: the
    in-app rows go first with ON CONFLICT DO NOTHING, and only the recipients whose row is new get
    an inbox message and an email. Returns how many recipients were new."""
    if not copies:
        return 0
    message_ids = {copy.recipient_id: str(uuid.uuid4()) for copy in copies}

    def row(recipient_id: str, channel: str, sealed: str, message_id: str | None) -> dict[str, object]:
        sent = message_id is not None
        return dict(
            delivery_id=str(uuid.uuid4()), idempotency_key=idempotency_key(dedupe_id, channel, recipient_id),
            event_id=event_id, event_type=event_type, channel=channel, recipient_id=recipient_id,
            destination_sealed=None, content_sealed=sealed, status=DeliveryStatus.SENT.value if sent else QUEUED,
            attempts=1 if sent else 0, next_attempt_at=now, claim_token=None, claimed_until=None,
            provider_answer="stored in the in-app inbox" if sent else None, provider_message_id=message_id,
            created_at=now, finished_at=now if sent else None, priority=LOW,
        )

    inserted = await session.execute(
        _insert_ignoring_duplicates(session, deliveries).returning(deliveries.c.recipient_id),
        [row(rid, "inapp", inapp_sealed, mid) for rid, mid in message_ids.items()],
    )
    new = set(inserted.scalars().all())
    if not new:
        return 0
    zh, en = wording["zh"], wording["en"]
    await session.execute(insert(inbox_messages), [
        dict(message_id=message_ids[rid], recipient_id=rid, event_id=event_id, event_type=event_type,
             title=zh.subject or "", body=zh.text, title_en=en.subject or "", body_en=en.text, created_at=now,
             read_at=None)
        for rid in message_ids if rid in new
    ])
    emails = [row(copy.recipient_id, "email", email_sealed, None) for copy in copies
              if copy.with_email and copy.recipient_id in new]
    if emails:
        await session.execute(_insert_ignoring_duplicates(session, deliveries), emails)
    return len(new)


async def stage_inbox_message(
    session: AsyncSession, *, recipient_id: str, event_id: str, event_type: str,
    wording: Mapping[str, RenderedMessage], now: datetime,
) -> str:
    """One inbox message in both languages (``wording`` by language, from render_inapp_by_language)."""
    message_id = str(uuid.uuid4())
    zh, en = wording["zh"], wording["en"]
    await session.execute(
        insert(inbox_messages).values(
            message_id=message_id, recipient_id=recipient_id, event_id=event_id, event_type=event_type,
            title=zh.subject or "", body=zh.text, title_en=en.subject or "", body_en=en.text, created_at=now,
        )
    )
    return message_id


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued, its time has come, and no live lease on it: what a dispatcher may claim now."""
    return and_(
        deliveries.c.status == QUEUED,
        deliveries.c.next_attempt_at <= now,
        or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
    )


@dataclass(frozen=True)
class DueBacklog:
    count: int  # at most the cap asked for
    oldest_due_at: datetime | None


async def due_backlog(sessions: async_sessionmaker[AsyncSession], *, now: datetime, cap: int) -> DueBacklog:
    """How many deliveries wait to be claimed (up to ``cap``) and since when the oldest is due.

    One statement over the ``(status, next_attempt_at)`` index, reading at most ``cap`` entries:
    its cost stays bounded however long the backlog grows."""
    waiting = (
        select(deliveries.c.next_attempt_at).where(_due(now)).order_by(deliveries.c.next_attempt_at).limit(cap)
    ).subquery()
    async with sessions() as session:
        count, oldest = (await session.execute(select(func.count(), func.min(waiting.c.next_attempt_at)))).one()
    return DueBacklog(int(count), as_utc(oldest) if oldest is not None else None)


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    now: datetime,
    limit: int,
    lease_seconds: float,
    skip_locked: bool,
    low_limit: int | None = None,
) -> list[ClaimedDelivery]:
    """Up to ``limit`` due deliveries: every due NORMAL one first (oldest first), then LOW ones
    (broadcasts) in the room left, but at most ``low_limit`` of them (None: no cap)."""
    if limit < 1:
        return []
    token = str(uuid.uuid4())
    due = _due(now)
    async with sessions() as session, session.begin():

        async def due_ids(priority: int, count: int) -> list[str]:
            query = (select(deliveries.c.delivery_id).where(due, deliveries.c.priority == priority)
                     .order_by(deliveries.c.next_attempt_at).limit(count))
            if skip_locked:
                query = query.with_for_update(skip_locked=True)
            return list((await session.scalars(query)).all())

        ids = await due_ids(NORMAL, limit)
        room = limit - len(ids) if low_limit is None else min(limit - len(ids), low_limit)
        if room > 0:
            ids += await due_ids(LOW, room)
        if not ids:
            return []
        await session.execute(
            update(deliveries)
            .where(deliveries.c.delivery_id.in_(ids), due)
            .values(claim_token=token, claimed_until=now + timedelta(seconds=lease_seconds))
        )
        rows = (await session.execute(select(deliveries).where(deliveries.c.claim_token == token))).all()
    return [
        ClaimedDelivery(
            delivery_id=r.delivery_id, idempotency_key=r.idempotency_key, event_id=r.event_id,
            event_type=r.event_type, channel=r.channel, recipient_id=r.recipient_id,
            destination_sealed=r.destination_sealed, content_sealed=r.content_sealed,
            attempts=int(r.attempts), claim_token=token, priority=int(r.priority),
        )
        for r in sorted(rows, key=lambda r: (r.priority, r.next_attempt_at))
    ]


async def finish(
    sessions: async_sessionmaker[AsyncSession], claimed: ClaimedDelivery, outcome: Outcome, now: datetime
) -> bool:
    """Record the outcome; False when our claim was lost (the lease ran out and another took it)."""
    final = outcome.status != QUEUED
    async with sessions() as session, session.begin():
        result = await session.execute(
            update(deliveries)
            .where(deliveries.c.delivery_id == claimed.delivery_id,
                   deliveries.c.claim_token == claimed.claim_token)
            .values(
                status=outcome.status,
                attempts=outcome.attempts,
                provider_answer=outcome.provider_answer,
                provider_message_id=outcome.provider_message_id,
                next_attempt_at=outcome.next_attempt_at or now,
                claim_token=None,
                claimed_until=None,
                finished_at=now if final else None,
            )
        )
    return bool(getattr(result, "rowcount", 0) == 1)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
