"""Wizard drafts: one per account, a JSON document; the document number inside is sealed.

Every wizard step reads and writes its draft, so those two statements are built once, with bound
parameters, and run on the Core connection (SQLAlchemy then reuses their compiled form and skips
the ORM's per-statement work). The read also fetches the reference data's version number, which
the step needs next (``reference_cache``): one round trip to the database instead of two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.adapters.reference_cache import VERSION_COLUMN, noted_version

_LOAD = select(orm.drafts.c.data, VERSION_COLUMN).where(orm.drafts.c.applicant_id == bindparam("applicant"))
_SAVE = (update(orm.drafts).where(orm.drafts.c.applicant_id == bindparam("applicant"))
         .values(data=bindparam("new_data", type_=orm.drafts.c.data.type),
                 updated_at=bindparam("now", type_=orm.drafts.c.updated_at.type)))


async def load(session: AsyncSession, applicant_id: str) -> dict[str, Any] | None:
    connection = await session.connection()
    row = (await connection.execute(_LOAD, {"applicant": applicant_id})).first()
    if row is None:
        return None
    noted_version(session, row.reference_version)
    return dict(row.data) if row.data is not None else None


async def create(session: AsyncSession, applicant_id: str, data: dict[str, Any], now: datetime) -> None:
    await session.execute(insert(orm.drafts).values(applicant_id=applicant_id, data=data, started_at=now,
                                                    updated_at=now))


async def save(session: AsyncSession, applicant_id: str, data: dict[str, Any], now: datetime) -> None:
    connection = await session.connection()
    await connection.execute(_SAVE, {"applicant": applicant_id, "new_data": data, "now": now})


async def remove(session: AsyncSession, applicant_id: str) -> None:
    await session.execute(delete(orm.drafts).where(orm.drafts.c.applicant_id == applicant_id))
