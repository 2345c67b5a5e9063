"""Wizard drafts: one per account, a JSON document; the document number inside is sealed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm


async def load(session: AsyncSession, applicant_id: str) -> dict[str, Any] | None:
    t = orm.drafts
    data = await session.scalar(select(t.c.data).where(t.c.applicant_id == applicant_id))
    return dict(data) if data is not None else None


async def create(session: AsyncSession, applicant_id: str, data: dict[str, Any], now: datetime) -> None:
    await session.execute(insert(orm.drafts).values(applicant_id=applicant_id, data=data, started_at=now,
                                                    updated_at=now))


async def save(session: AsyncSession, applicant_id: str, data: dict[str, Any], now: datetime) -> None:
    t = orm.drafts
    await session.execute(update(t).where(t.c.applicant_id == applicant_id).values(data=data, updated_at=now))


async def remove(session: AsyncSession, applicant_id: str) -> None:
    await session.execute(delete(orm.drafts).where(orm.drafts.c.applicant_id == applicant_id))
