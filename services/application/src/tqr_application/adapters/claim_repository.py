"""Work claims (R-STAFF-6): who is deciding an application now, and the bulk decisions' keys.

A claim is one row per application. ``take`` is a single statement (INSERT … ON CONFLICT DO UPDATE
… WHERE the row has expired or is the caller's own … RETURNING): PostgreSQL makes a second,
concurrent INSERT of the same key wait for the first and then re-check the WHERE on the row the
first committed, so of two concurrent claims exactly one wins; the other gets no row back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.service_layer.context import aware


@dataclass(frozen=True)
class Claim:
    application_id: str
    staff_id: str
    staff_name: str
    staff_role: str
    staff_org: str
    claimed_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Holder:
    staff_id: str
    staff_name: str
    staff_role: str
    staff_org: str


def _claim(row: Any) -> Claim:
    return Claim(row.application_id, row.staff_id, row.staff_name, row.staff_role, row.staff_org,
                 aware(row.claimed_at), aware(row.expires_at))


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def take(session: AsyncSession, application_id: str, holder: Holder, now: datetime,
               until: datetime) -> Claim | None:
    """The caller's claim (new, renewed, or taken over from an expired one); None when someone else
    holds a live claim."""
    t = orm.work_claims
    values = {"staff_id": holder.staff_id, "staff_name": holder.staff_name, "staff_role": holder.staff_role,
              "staff_org": holder.staff_org, "claimed_at": now, "expires_at": until}
    statement = _insert(session)(t).values(application_id=application_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[t.c.application_id], set_=values,
        where=(t.c.expires_at <= now) | (t.c.staff_id == holder.staff_id),
    ).returning(*t.c)
    row = (await session.execute(statement)).first()
    return _claim(row) if row else None


async def current(session: AsyncSession, application_id: str, now: datetime) -> Claim | None:
    t = orm.work_claims
    row = (await session.execute(
        select(t).where(t.c.application_id == application_id, t.c.expires_at > now))).first()
    return _claim(row) if row else None


async def current_of(session: AsyncSession, application_ids: Sequence[str], now: datetime) -> list[Claim]:
    if not application_ids:
        return []
    t = orm.work_claims
    rows = (await session.execute(
        select(t).where(t.c.application_id.in_(list(application_ids)), t.c.expires_at > now))).all()
    return [_claim(r) for r in rows]


async def release(session: AsyncSession, application_id: str, staff_id: str) -> bool:
    t = orm.work_claims
    done = await session.execute(delete(t).where(t.c.application_id == application_id, t.c.staff_id == staff_id))
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def release_all(session: AsyncSession, application_id: str) -> None:
    """A decision ends every claim on the application."""
    await session.execute(delete(orm.work_claims).where(orm.work_claims.c.application_id == application_id))


# --- bulk decisions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BulkRecord:
    request_hash: str
    started_at: datetime
    results: list[dict[str, Any]] | None


async def reserve_bulk(session: AsyncSession, actor_id: str, actor_org: str, key: str, action: str,
                       request_hash: str, now: datetime) -> bool:
    """True when this call made the key's row (it runs the batch); False when the key exists."""
    t = orm.bulk_decisions
    statement = _insert(session)(t).values(
        actor_id=actor_id, idempotency_key=key, actor_org=actor_org, action=action, request_hash=request_hash,
        started_at=now, finished_at=None, results=null(),
    ).on_conflict_do_nothing(index_elements=[t.c.actor_id, t.c.idempotency_key]).returning(t.c.actor_id)
    return (await session.execute(statement)).first() is not None


async def bulk_record(session: AsyncSession, actor_id: str, key: str) -> BulkRecord | None:
    t = orm.bulk_decisions
    row = (await session.execute(
        select(t.c.request_hash, t.c.started_at, t.c.finished_at, t.c.results).where(
            t.c.actor_id == actor_id, t.c.idempotency_key == key))).first()
    if row is None:
        return None
    return BulkRecord(row.request_hash, aware(row.started_at), row.results if row.finished_at else None)


async def take_over_bulk(session: AsyncSession, actor_id: str, key: str, stale_before: datetime,
                         now: datetime) -> bool:
    """A run that never finished (its process ended) and started before ``stale_before`` is taken
    over by this call; of two such calls one wins."""
    t = orm.bulk_decisions
    done = await session.execute(update(t).where(
        t.c.actor_id == actor_id, t.c.idempotency_key == key, t.c.finished_at.is_(None),
        t.c.started_at < stale_before).values(started_at=now))
    return bool(done.rowcount)  # type: ignore[attr-defined]


async def finish_bulk(session: AsyncSession, actor_id: str, key: str, results: list[dict[str, Any]],
                      now: datetime) -> None:
    t = orm.bulk_decisions
    await session.execute(update(t).where(t.c.actor_id == actor_id, t.c.idempotency_key == key).values(
        results=results, finished_at=now))
