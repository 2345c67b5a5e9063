"""The materials checklist staff pick from when materials are incomplete (issue 19 item 19).

Each authority may keep its own (its admins set it; audited); an authority without one uses the
default, ``domain/checklist.MATERIALS_CHECKLIST``, which GetWorkflowRules also serves. The names
ticked become the list the applicant reads, so the checklist is words, not a schema: changing it
never changes what an application already lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tqr_application.adapters import checklist_repository as repo
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
    code = authority_code.strip() or actor.organisation_code[:6]
    async with ctx.reading() as session:
        own = await repo.items_of(session, code)
    return Checklist(code, tuple(own), True) if own else Checklist(code, MATERIALS_CHECKLIST, False)


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
