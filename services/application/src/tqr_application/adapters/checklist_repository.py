"""An authority's own materials checklist (issue 19 item 19)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.domain.checklist import ChecklistItem


async def items_of(session: AsyncSession, authority_code: str) -> list[ChecklistItem]:
    t = orm.materials_checklist_items
    rows = await session.execute(select(t.c.code, t.c.name_zh, t.c.name_en)
                                 .where(t.c.authority_code == authority_code).order_by(t.c.position))
    return [ChecklistItem(r.code, r.name_zh, r.name_en) for r in rows]


async def replace_items(session: AsyncSession, authority_code: str, items: Sequence[ChecklistItem]) -> None:
    t = orm.materials_checklist_items
    await session.execute(delete(t).where(t.c.authority_code == authority_code))
    if items:
        await session.execute(insert(t), [
            {"authority_code": authority_code, "position": i, "code": item.code, "name_zh": item.name_zh,
             "name_en": item.name_en} for i, item in enumerate(items)])
