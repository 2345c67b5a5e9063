"""The audit log of staff actions (R-STAFF-4), written in the same transaction as the action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.domain.roles import Actor


async def record(
    session: AsyncSession, actor: Actor, action: str, *, target_type: str, target_id: str, at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """``detail`` must not hold personal data in clear (mask document numbers before)."""
    await session.execute(insert(orm.audit_log).values(
        at=at, actor_role=actor.role.value, actor_id=actor.subject_id, actor_org=actor.organisation_code,
        action=action, target_type=target_type, target_id=target_id, detail=detail or {},
    ))
