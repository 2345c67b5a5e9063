"""Every value printed on the application form (R-APP-5), for the documents service (role SYSTEM)."""

from __future__ import annotations

from servicekit.errors import NotFound

from tqr_application.adapters import application_repository as repo
from tqr_application.domain.roles import Actor, Role
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.read_model import ApplicationDetails, details

DOCUMENT_TYPE_LABELS = {
    "ID_CARD": "居民身份证",
    "HKMO_RESIDENCE": "港澳居民居住证",
    "TW_RESIDENCE": "台湾居民居住证",
    "HKMO_PERMIT": "港澳居民来往内地通行证",
    "TW_PERMIT": "台湾居民来往大陆通行证",
}


async def revision_of(ctx: ServiceContext, actor: Actor, application_id: str) -> tuple[str, str, int]:
    """(application id, applicant id, edit revision): what a printout status needs (R-APP-8)."""
    require_role(actor, Role.SYSTEM)
    async with ctx.reading() as session:
        found = await repo.revision_of(session, application_id)
    if found is None:
        raise NotFound("APPLICATION_NOT_FOUND", "找不到该申请", "No such application")
    return found


async def for_form(
    ctx: ServiceContext, actor: Actor, application_id: str, application_number: str
) -> ApplicationDetails:
    require_role(actor, Role.SYSTEM)
    async with ctx.reading() as session:
        if application_id:
            record = await repo.get(session, ctx.cipher, application_id)
        else:
            record = await repo.get_by_number(session, ctx.cipher, application_number.strip())
        if record is None:
            raise NotFound("APPLICATION_NOT_FOUND", "找不到该申请", "No such application")
        return await details(session, record, now=ctx.now(), role=actor.role)
