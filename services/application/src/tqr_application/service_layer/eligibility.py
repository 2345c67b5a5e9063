"""Eligibility pre-check (domain.eligibility) before submit and when staff decide.

Thresholds: the service-wide default from settings, overridden per authority by a row of
``eligibility_thresholds`` (JSON with EligibilityPolicy's field names). It informs; it never
changes a status by itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.domain.eligibility import EligibilityPolicy, EligibilityReport, check_eligibility
from tqr_application.domain.roles import Actor
from tqr_application.domain.wizard import Materials
from tqr_application.service_layer import wizard
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.staff import load_in_scope


async def policy_for(ctx: ServiceContext, session: AsyncSession, authority_code: str) -> EligibilityPolicy:
    t = orm.eligibility_thresholds
    row = await session.scalar(select(t.c.settings).where(t.c.authority_code == authority_code))
    values = {"min_continuing_education_hours": ctx.settings.eligibility_min_continuing_education_hours}
    values.update(dict(row or {}))
    return EligibilityPolicy.from_settings(values)


def as_domain_materials(data: dict[str, Any]) -> Materials | None:
    """The stored (already checked) materials section as the domain's value; None if not filled."""
    return Materials.from_dict(data) if data else None


async def check_draft(ctx: ServiceContext, actor: Actor) -> EligibilityReport | None:
    """None while the materials step has not been saved."""
    async with ctx.reading() as session:
        draft = (await wizard.load(session, actor)).draft
        policy = await policy_for(ctx, session, draft.authority.authority_code if draft.authority else "")
    return check_eligibility(draft.materials, ctx.now(), policy) if draft.materials else None


async def check_application(ctx: ServiceContext, actor: Actor, application_id: str) -> EligibilityReport:
    async with ctx.reading() as session:
        record = await load_in_scope(ctx, session, actor, application_id)
        policy = await policy_for(ctx, session, record.authority_code)
    materials = as_domain_materials(dict(record.answers.materials))
    assert materials is not None  # an application always has its materials
    return check_eligibility(materials, ctx.now(), policy)
