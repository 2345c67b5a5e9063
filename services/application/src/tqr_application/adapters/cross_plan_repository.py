"""The marks of R-STAFF-8 (domain/cross_plan.py): a certificate number live in two plans.

``refresh`` rewrites one application's marks in both directions inside the caller's transaction.
``lock_number`` must come first, before the application row is written: on PostgreSQL it takes a
transaction-level advisory lock on the certificate number (released at COMMIT, so it is safe
behind a transaction pooler), so two transactions submitting or changing applications with the
same number pair up one after the other and neither misses the other's row. The look-up of the
other side's applications reads them ``FOR SHARE``: an application whose number, plan or status
another transaction is changing right now is read as that transaction leaves it. SQLite runs one
writer at a time and needs neither.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, exists, func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tqr_application.adapters import orm
from tqr_application.domain.application import Application
from tqr_application.domain.cross_plan import LIVE

_LOCK_NAMESPACE = b"tqr-application:cross-plan:"


@dataclass(frozen=True)
class OtherPlan:
    authority_code: str
    authority_name: str


def _lock_key(number: str) -> int:
    digest = hashlib.sha256(_LOCK_NAMESPACE + number.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def lock_number(session: AsyncSession, number: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(number)})


async def refresh(session: AsyncSession, app: Application) -> None:
    """Rewrite ``app``'s marks: none when it is final, else one pair per live application of
    another plan with the same number. Call after the application row is written."""
    t, d = orm.cross_plan_duplicates, orm.applications
    await session.execute(delete(t).where(or_(t.c.application_id == app.id, t.c.other_application_id == app.id)))
    if app.status not in LIVE:
        return
    live = [s.value for s in LIVE]
    others = (
        await session.execute(
            select(d.c.id, d.c.plan_id, d.c.authority_code)
            .where(d.c.certificate_number == app.certificate_number, d.c.plan_id != app.plan_id,
                   d.c.status.in_(live), d.c.id != app.id)
            .with_for_update(read=True)
        )
    ).all()
    if not others:
        return
    rows = []
    for other in others:
        rows.append({"application_id": app.id, "other_application_id": other.id,
                     "other_authority_code": other.authority_code, "other_plan_id": other.plan_id,
                     "since": app.updated_at})
        rows.append({"application_id": other.id, "other_application_id": app.id,
                     "other_authority_code": app.authority_code, "other_plan_id": app.plan_id,
                     "since": app.updated_at})
    await session.execute(insert(t), rows)


def in_another_plan(application_id: ColumnElement[str] | str) -> ColumnElement[bool]:
    """A condition: the application is marked (for the staff lists' column and filter)."""
    t = orm.cross_plan_duplicates
    return exists().where(t.c.application_id == application_id)


async def other_plans(session: AsyncSession, application_id: str) -> list[OtherPlan]:
    """The other authorities that have a live application for this one's number (their names;
    nothing of the other application itself), each once."""
    t, a = orm.cross_plan_duplicates, orm.authorities
    rows = (
        await session.execute(
            select(t.c.other_authority_code, func.coalesce(a.c.name, t.c.other_authority_code).label("name"))
            .select_from(t.outerjoin(a, a.c.code == t.c.other_authority_code))
            .where(t.c.application_id == application_id)
            .group_by(t.c.other_authority_code, a.c.name)
            .order_by(t.c.other_authority_code)
        )
    ).all()
    return [OtherPlan(r.other_authority_code, r.name) for r in rows]
