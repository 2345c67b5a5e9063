"""The check every decision makes (R-STAFF-6): an application another staff member has claimed is
not decided by anyone else meanwhile. Claiming itself is ``work``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from servicekit.errors import RuleViolation
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import claim_repository as claims
from tqr_application.adapters.claim_repository import Claim
from tqr_application.domain.roles import Actor

CHINA = ZoneInfo("Asia/Shanghai")


def held_by_other(claim: Claim) -> RuleViolation:
    until = claim.expires_at.astimezone(CHINA).strftime("%H:%M")
    return RuleViolation(
        "R-STAFF-6",
        f"该申请由 {claim.staff_name} 处理中（至 {until}），其他人暂时不能办理",
        f"This application is claimed by {claim.staff_name} (until {until} Beijing time); "
        "nobody else may act on it meanwhile",
    )


async def ensure_free_for(session: AsyncSession, actor: Actor, application_id: str, now: datetime) -> None:
    """Refuse a decision while someone else holds a live claim on the application."""
    found = await claims.current(session, application_id, now)
    if found is not None and found.staff_id != actor.subject_id:
        raise held_by_other(found)
