"""Rows of the render cache (``form_renderings``), read and written in the caller's session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_documents.adapters.orm import form_renderings as t


@dataclass(frozen=True)
class CachedRendering:
    application_id: str
    content_hash: str
    format: str
    layout_version: int
    code_text: str
    file_name: str
    size: int


async def find(session: AsyncSession, content_hash: str, fmt: str, layout_version: int) -> CachedRendering | None:
    row = (
        await session.execute(
            select(t).where(
                t.c.content_hash == content_hash, t.c.format == fmt, t.c.layout_version == layout_version
            )
        )
    ).first()
    if row is None:
        return None
    return CachedRendering(
        application_id=row.application_id, content_hash=row.content_hash, format=row.format,
        layout_version=row.layout_version, code_text=row.code_text, file_name=row.file_name, size=row.size,
    )


async def save(session: AsyncSession, rendering: CachedRendering, created_at: datetime) -> None:
    """Insert or replace: a row left by a deleted file or an old key is overwritten, and two replicas
    storing the same rendering at once do not fail each other."""
    values = {
        "content_hash": rendering.content_hash, "format": rendering.format,
        "layout_version": rendering.layout_version, "application_id": rendering.application_id,
        "code_text": rendering.code_text, "file_name": rendering.file_name, "size": rendering.size,
        "created_at": created_at,
    }
    key = ["content_hash", "format", "layout_version"]
    changed = {k: values[k] for k in ("application_id", "code_text", "file_name", "size", "created_at")}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg = postgresql.insert(t).values(**values).on_conflict_do_update(index_elements=key, set_=changed)
        await session.execute(pg)
    else:
        lite = sqlite.insert(t).values(**values).on_conflict_do_update(index_elements=key, set_=changed)
        await session.execute(lite)


async def drop_others(session: AsyncSession, application_id: str, keep_hash: str) -> Sequence[str]:
    """Forget the renderings of the application's earlier data; returns their file names to delete."""
    stale = select(t.c.file_name).where(t.c.application_id == application_id, t.c.content_hash != keep_hash)
    names = list((await session.scalars(stale)).all())
    if names:
        await session.execute(
            delete(t).where(t.c.application_id == application_id, t.c.content_hash != keep_hash)
        )
    return names


async def for_application(session: AsyncSession, application_id: str) -> list[CachedRendering]:
    rows = (await session.execute(select(t).where(t.c.application_id == application_id))).all()
    return [
        CachedRendering(r.application_id, r.content_hash, r.format, r.layout_version, r.code_text, r.file_name, r.size)
        for r in rows
    ]
