"""The in-app inbox, read side: a person lists, counts and marks only their own messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_notification.adapters.orm import inbox_messages

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class InboxItem:
    message_id: str
    title: str
    body: str
    event_type: str
    created_at: datetime
    read: bool


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    next_after: int | None  # the seq to continue below; None on the last page


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_language(row: Any, language: str) -> tuple[str, str]:
    """(title, body) in ``language``; a row stored before the English columns has both languages in
    its Chinese columns and is shown as stored."""
    if language == "en" and row.body_en is not None:
        return row.title_en or "", row.body_en
    return row.title, row.body


async def list_messages(
    session: AsyncSession, recipient_id: str, *, page_size: int, before_seq: int | None, unread_only: bool,
    language: str = "zh",
) -> InboxPage:
    size = min(MAX_PAGE_SIZE, page_size or DEFAULT_PAGE_SIZE)
    query = select(inbox_messages).where(inbox_messages.c.recipient_id == recipient_id)
    if before_seq is not None:
        query = query.where(inbox_messages.c.seq < before_seq)
    if unread_only:
        query = query.where(inbox_messages.c.read_at.is_(None))
    rows = (await session.execute(query.order_by(inbox_messages.c.seq.desc()).limit(size + 1))).all()
    items = [
        InboxItem(r.message_id, *_in_language(r, language), r.event_type, _aware(r.created_at), r.read_at is not None)
        for r in rows[:size]
    ]
    return InboxPage(items, int(rows[size - 1].seq) if len(rows) > size else None)


async def count_unread(session: AsyncSession, recipient_id: str) -> int:
    query = select(func.count()).select_from(inbox_messages).where(
        inbox_messages.c.recipient_id == recipient_id, inbox_messages.c.read_at.is_(None)
    )
    return int(await session.scalar(query) or 0)


async def mark_read(session: AsyncSession, recipient_id: str, message_id: str, now: datetime) -> bool:
    """True when the message is the recipient's (read already or now); marking twice is harmless."""
    owned = await session.scalar(
        select(inbox_messages.c.seq).where(
            inbox_messages.c.message_id == message_id, inbox_messages.c.recipient_id == recipient_id
        )
    )
    if owned is None:
        return False
    await session.execute(
        update(inbox_messages)
        .where(inbox_messages.c.seq == owned, inbox_messages.c.read_at.is_(None))
        .values(read_at=now)
    )
    return True
