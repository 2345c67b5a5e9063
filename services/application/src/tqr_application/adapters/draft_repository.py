"""Wizard drafts: one per account, a JSON document; the document number inside is sealed.

Every wizard step reads and writes its draft, so those two statements are built once, with bound
parameters, and run on the Core connection (SQLAlchemy then reuses their compiled form and skips
the ORM's per-statement work); in a wizard step on PostgreSQL, where each statement commits as it
runs, they go to asyncpg itself (``driver_statements``). The read also fetches the reference
data's version number, which the step needs next (``reference_cache``): one round trip to the
database instead of two.

Each draft carries a revision number, bumped by every write, and ``save`` writes only over the
revision that was read. Two writes of one draft at once (a step in each of two browser tabs, a
step racing the submission) cannot both succeed on the same revision: the later one finds it gone
and is told so, instead of silently overwriting the other's answers. It also means a step needs
no transaction of its own (``ServiceContext.autocommitting``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.adapters.driver_statements import execute_counting, fetch_row, held_directly
from tqr_application.adapters.reference_cache import VERSION_COLUMN, noted_version

_t = orm.drafts
_LOAD = select(_t.c.data, _t.c.revision, VERSION_COLUMN).where(_t.c.applicant_id == bindparam("applicant"))
_SAVE = (update(_t).where(_t.c.applicant_id == bindparam("applicant"), _t.c.revision == bindparam("read"))
         .values(data=bindparam("new_data", type_=_t.c.data.type),
                 updated_at=bindparam("now", type_=_t.c.updated_at.type),
                 open_plan_id=bindparam("open_plan", type_=_t.c.open_plan_id.type),
                 revision=_t.c.revision + 1))


@dataclass(frozen=True)
class Loaded:
    data: dict[str, Any]
    revision: int  # what ``save`` must find still there


async def load(session: AsyncSession, applicant_id: str) -> Loaded | None:
    parameters = {"applicant": applicant_id}
    held = await held_directly(session)
    if held is not None:
        row: Mapping[Any, Any] | None = await fetch_row(held, _LOAD, parameters)
    else:
        connection = await session.connection()
        found = (await connection.execute(_LOAD, parameters)).first()
        row = found._mapping if found is not None else None
    if row is None:
        return None
    noted_version(session, row["reference_version"])
    return Loaded(dict(row["data"]), row["revision"])  # data is NOT NULL


async def create(session: AsyncSession, applicant_id: str, data: dict[str, Any], now: datetime, *,
                 open_plan: str | None) -> None:
    await session.execute(insert(orm.drafts).values(applicant_id=applicant_id, data=data, started_at=now,
                                                    updated_at=now, open_plan_id=open_plan))


async def save(session: AsyncSession, applicant_id: str, data: dict[str, Any], now: datetime, *, read: int,
               open_plan: str | None) -> bool:
    """Write the draft over revision ``read``; False (nothing written) when another write came first.
    ``open_plan``: the plan of a draft not yet submitted, else None (``orm.drafts.open_plan_id``)."""
    parameters = {"applicant": applicant_id, "new_data": data, "now": now, "read": read, "open_plan": open_plan}
    held = await held_directly(session)
    if held is not None:
        return bool(await execute_counting(held, _SAVE, parameters))
    return bool((await (await session.connection()).execute(_SAVE, parameters)).rowcount)


async def remove(session: AsyncSession, applicant_id: str) -> None:
    await session.execute(delete(orm.drafts).where(orm.drafts.c.applicant_id == applicant_id))
