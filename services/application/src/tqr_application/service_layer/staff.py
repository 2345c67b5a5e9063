"""Staff actions on applications (R-STAFF-1, R-STAFF-2), scoped and audited (R-STAFF-4)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

from servicekit import text
from servicekit.errors import FieldProblem, InvalidInput, NotFound
from servicekit.masking import mask_document_number
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.adapters.search_repository import SearchFilter, SummaryRow, decode_token, search
from tqr_application.domain import numbers
from tqr_application.domain.application import Application
from tqr_application.domain.roles import Actor, Role, ensure_in_scope
from tqr_application.domain.status import StatusAction
from tqr_application.service_layer import audit, workflow
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext
from tqr_application.service_layer.read_model import ApplicationDetails, details

STAFF = (Role.AUTHORITY_ADMIN, Role.POINT_STAFF)
ON_SITE_ACTIONS = frozenset(
    {
        StatusAction.CONFIRM_ON_SITE,
        StatusAction.MARK_MATERIALS_INCOMPLETE,
        StatusAction.MARK_WRONG_AUTHORITY,
        StatusAction.MARK_NOT_ELIGIBLE,
    }
)
DECISION_ACTIONS = frozenset(
    {
        StatusAction.APPROVE_REGISTERED,
        StatusAction.DEFER,
        StatusAction.REJECT,
        StatusAction.MARK_NOT_ELIGIBLE,
        StatusAction.MARK_WRONG_AUTHORITY,
    }
)
MAX_MESSAGE_LENGTH = 1000
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
FORM_CODE_PREFIX = "TQR1."


def in_scope(actor: Actor, record: Application) -> bool:
    if actor.role is Role.AUTHORITY_ADMIN:
        return record.authority_code == actor.organisation_code
    if actor.role is Role.POINT_STAFF:
        return record.point_code == actor.organisation_code
    return False


async def load_in_scope(
    ctx: ServiceContext, session: AsyncSession, actor: Actor, application_id: str
) -> Application:
    require_role(actor, *STAFF)
    record = await repo.get(session, ctx.cipher, application_id)
    if record is None:
        raise NotFound("APPLICATION_NOT_FOUND", "找不到该申请", "No such application")
    ensure_in_scope(actor, authority_code=record.authority_code, point_code=record.point_code)
    return record


def application_number_in(query: str) -> str | None:
    """The application number inside a typed number (R-WIZ-11: full width, spaces, hyphens) or a
    scanned form code (TQR1.….<number>.…)."""
    typed = text.fold(query).strip().upper()
    parts = typed.split(".") if typed.startswith(FORM_CODE_PREFIX) else [typed]
    for part in parts:
        if numbers.is_valid(part):
            return numbers.normalise(part)
    return None


async def find_application(ctx: ServiceContext, actor: Actor, query: str) -> list[Application]:
    """R-STAFF-2: by application number, form code or document number; only the actor's own scope.
    A number is searched for in its canonical form (R-WIZ-11), as it was stored."""
    require_role(actor, *STAFF)
    typed = query.strip()
    if not typed:
        raise InvalidInput(
            [
                FieldProblem(
                    "query",
                    "R-STAFF-2",
                    "请输入报名号、证件号码或扫描申请表二维码",
                    "Type an application or document number, or scan the form code",
                )
            ]
        )
    number = application_number_in(typed)
    async with ctx.transaction() as session:
        if number is not None:
            found = await repo.get_by_number(session, ctx.cipher, number)
            records = [found] if found else []
            kind = "FORM_CODE" if typed.upper().startswith(FORM_CODE_PREFIX) else "APPLICATION_NUMBER"
        else:
            records = await repo.by_document(session, ctx.cipher, text.normalise_number(typed))
            kind = "DOCUMENT_NUMBER"
        visible = [r for r in records if in_scope(actor, r)]
        await audit.record(
            session,
            actor,
            "FIND_APPLICATION",
            target_type="query",
            target_id=kind,
            at=ctx.now(),
            detail={"found": [r.id for r in visible]},
        )
    return visible


async def get_for_staff(ctx: ServiceContext, actor: Actor, application_id: str) -> ApplicationDetails:
    async with ctx.transaction() as session:
        record = await load_in_scope(ctx, session, actor, application_id)
        await audit.record(
            session, actor, "VIEW_APPLICATION", target_type="application", target_id=record.id, at=ctx.now()
        )
        return await details(session, record, now=ctx.now(), role=actor.role)


async def change_status(
    ctx: ServiceContext,
    actor: Actor,
    application_id: str,
    action: StatusAction,
    *,
    allowed: frozenset[StatusAction],
    reason: str = "",
    missing_materials: tuple[str, ...] = (),
    expected_version: int = 0,
) -> ApplicationDetails:
    """On-site results (R-STAFF-2) and decisions (R-STAFF-1), in scope, audited, one winner."""
    if action not in allowed:
        raise InvalidInput([FieldProblem("action", "R-APP-2", "这里不能执行该操作", "That action is not taken here")])
    async with ctx.transaction() as session:
        record = await load_in_scope(ctx, session, actor, application_id)
        workflow.check_expected_version(record, expected_version)
        change = record.apply(action, actor, ctx.now(), reason=reason, missing_materials=missing_materials)
        await workflow.store(ctx, session, record)
        await audit.record(
            session,
            actor,
            action.value,
            target_type="application",
            target_id=record.id,
            at=ctx.now(),
            detail={"from": change.from_status.value, "to": change.to_status.value},
        )
        return await details(session, record, now=ctx.now(), role=actor.role)


async def post_message(ctx: ServiceContext, actor: Actor, application_id: str, body: str) -> dict[str, object]:
    """R-APP-4: a message from the authority or the point to the applicant."""
    message_text = body.strip()
    if not message_text or len(message_text) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(
            [
                FieldProblem(
                    "body",
                    "R-APP-4",
                    f"留言应为 1 至 {MAX_MESSAGE_LENGTH} 个字",
                    f"A message has 1 to {MAX_MESSAGE_LENGTH} characters",
                )
            ]
        )
    async with ctx.transaction() as session:
        record = await load_in_scope(ctx, session, actor, application_id)
        org_name = await _organisation_name(session, actor)
        message_id, now = str(uuid.uuid4()), ctx.now()
        record.post_message(message_id, actor, org_name, message_text, now)
        await workflow.store(ctx, session, record)
        await audit.record(
            session,
            actor,
            "POST_MESSAGE",
            target_type="application",
            target_id=record.id,
            at=ctx.now(),
            detail={"message_id": message_id},
        )
    return {
        "id": message_id,
        "application_id": record.id,
        "author_role": actor.role.value,
        "author_id": actor.subject_id,
        "author_org_code": actor.organisation_code,
        "author_org_name": org_name,
        "body": message_text,
        "created_at": now,
    }


async def correct_email(
    ctx: ServiceContext, actor: Actor, application_id: str, email: str, reason: str
) -> ApplicationDetails:
    """R-APP-7: authority or point staff correct the applicant's email; this is the application's copy
    (the printed form). The account's address is the identity service's, changed by the gateway's
    call there (CorrectAccountEmail) before this one."""
    require_role(actor, Role.AUTHORITY_ADMIN, Role.POINT_STAFF)
    clean = email.strip()
    if not EMAIL.match(clean):
        raise InvalidInput([FieldProblem("email", "R-STAFF-1", "电子邮箱格式不正确", "Not a valid email address")])
    async with ctx.transaction() as session:
        record = await load_in_scope(ctx, session, actor, application_id)
        record.replace_email(clean, ctx.now())
        await workflow.store(ctx, session, record)
        await audit.record(
            session,
            actor,
            "CORRECT_EMAIL",
            target_type="application",
            target_id=record.id,
            at=ctx.now(),
            detail={"reason": reason.strip()[:500], "document": mask_document_number(record.document_number)},
        )
        return await details(session, record, now=ctx.now(), role=actor.role)


async def _organisation_name(session: AsyncSession, actor: Actor) -> str:
    if actor.role is Role.AUTHORITY_ADMIN:
        authority = await ref.get_authority(session, actor.organisation_code)
        return authority.name if authority else actor.organisation_code
    found = await ref.get_point(session, actor.organisation_code)
    return found[0].name if found else actor.organisation_code


async def search_applications(
    ctx: ServiceContext, actor: Actor, where: SearchFilter, page_size: int, page_token: str
) -> tuple[list[SummaryRow], str]:
    """Staff lists (R-STAFF-2, R-STAFF-4): the scope comes from the actor, never from the request."""
    require_role(actor, *STAFF)
    if actor.role is Role.AUTHORITY_ADMIN:
        where = replace(where, authority_code=actor.organisation_code)
    else:
        if where.point_code and where.point_code != actor.organisation_code:
            return [], ""
        where = replace(where, authority_code="", point_code=actor.organisation_code)
    size = page_size or ctx.settings.default_page_size
    size = max(1, min(size, ctx.settings.max_page_size))
    try:
        after = decode_token(page_token) if page_token else None
    except ValueError as exc:
        raise InvalidInput(
            [FieldProblem("page_token", "INVALID_PAGE_TOKEN", "分页参数无效", "Invalid page token")]
        ) from exc
    if where.application_number:
        where = replace(where, application_number=numbers.normalise(where.application_number))
    async with ctx.reading() as session:
        return await search(session, where, size, after)
