"""The materials checklist staff pick from when materials are incomplete (issue 19 item 19).

Each authority may keep its own (its admins set it; audited); an authority without one uses the
default, ``domain/checklist.MATERIALS_CHECKLIST``, which GetWorkflowRules also serves. The names
ticked become the list the applicant reads, so the checklist is words, not a schema: changing it
never changes what an application already lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import checklist_repository as repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.checklist import MATERIALS_CHECKLIST, ChecklistItem, checked_items
from tqr_application.domain.roles import Actor, Role
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext

STAFF = (Role.AUTHORITY_ADMIN, Role.POINT_STAFF)


@dataclass(frozen=True)
class Checklist:
    authority_code: str
    items: tuple[ChecklistItem, ...]
    customised: bool


async def get_checklist(ctx: ServiceContext, actor: Actor, authority_code: str) -> Checklist:
    """Any staff member may read any authority's (it is what applicants are told)."""
    require_role(actor, *STAFF)
    async with ctx.reading() as session:
        code = authority_code.strip() or await _authority_of(session, actor)
        own = await repo.items_of(session, code)
    return Checklist(code, tuple(own), True) if own else Checklist(code, MATERIALS_CHECKLIST, False)


async def _authority_of(session: AsyncSession, actor: Actor) -> str:
    """The staff member's own authority: an admin's organisation, or the authority of the point a
    point's staff work at (from the reference data: a point's code need not begin with it)."""
    if actor.role is not Role.POINT_STAFF:
        return actor.organisation_code
    found = await ref.get_point(session, actor.organisation_code)
    return found[0].authority_code if found else ""


async def set_checklist(ctx: ServiceContext, actor: Actor, items: Sequence[ChecklistItem]) -> Checklist:
    """The caller's own authority's checklist; no items: back to the default."""
    require_role(actor, Role.AUTHORITY_ADMIN)
    checked = checked_items(items)
    code = actor.organisation_code
    async with ctx.transaction() as session:
        await repo.replace_items(session, code, checked)
        await audit.record(session, actor, "SET_MATERIALS_CHECKLIST", target_type="authority", target_id=code,
                           at=ctx.now(), detail={"items": [i.name_zh for i in checked]})
    return Checklist(code, checked, True) if checked else Checklist(code, MATERIALS_CHECKLIST, False)
