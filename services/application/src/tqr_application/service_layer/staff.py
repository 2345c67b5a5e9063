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
from tqr_application.adapters import claim_repository
from tqr_application.adapters import reference_repository as ref
from tqr_application.adapters.search_repository import SearchFilter, SummaryRow, decode_token, search
from tqr_application.domain import numbers
from tqr_application.domain.application import Application
from tqr_application.domain.roles import Actor, Role, ensure_in_scope
from tqr_application.domain.status import StatusAction
from tqr_application.service_layer import audit, claims, workflow
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


async def reveal_document_number(ctx: ServiceContext, actor: Actor, application_id: str) -> str:
    """The document number in full for the point's staff, who compare it with the document on site
    (R-STAFF-2); audited in the same transaction. Other roles keep the masked value of the views."""
    require_role(actor, Role.POINT_STAFF)
    async with ctx.transaction() as session:
        record = await load_in_scope(ctx, session, actor, application_id)
        await audit.record(
            session, actor, "REVEAL_DOCUMENT_NUMBER", target_type="application", target_id=record.id, at=ctx.now(),
            detail={"document_number": mask_document_number(record.document_number)},
        )
        return record.document_number


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
    async with ctx.transaction() as session:
        record = await decide_one(ctx, session, actor, application_id, action, allowed=allowed, reason=reason,
                                  missing_materials=missing_materials, expected_version=expected_version)
        return await details(session, record, now=ctx.now(), role=actor.role)


async def decide_one(
    ctx: ServiceContext,
    session: AsyncSession,
    actor: Actor,
    application_id: str,
    action: StatusAction,
    *,
    allowed: frozenset[StatusAction],
    reason: str = "",
    missing_materials: tuple[str, ...] = (),
    expected_version: int = 0,
    bulk_key: str = "",
) -> Application:
    """One status action inside the caller's transaction: the single path of a single decision and
    of each item of a bulk one (R-STAFF-6). In scope (R-STAFF-4), by the transition table (R-APP-2),
    not while another staff member holds a claim on the application; the decision ends every claim
    on it, and is audited (``bulk_key``: the bulk decision it belongs to)."""
    if action not in allowed:
        raise InvalidInput([FieldProblem("action", "R-APP-2", "这里不能执行该操作", "That action is not taken here")])
    record = await load_in_scope(ctx, session, actor, application_id)
    workflow.check_expected_version(record, expected_version)
    await claims.ensure_free_for(session, actor, record.id, ctx.now())
    change = record.apply(action, actor, ctx.now(), reason=reason, missing_materials=missing_materials)
    await workflow.store(ctx, session, record)
    await claim_repository.release_all(session, record.id)
    detail = {"from": change.from_status.value, "to": change.to_status.value}
    if bulk_key:
        detail["bulk"] = bulk_key
    await audit.record(
        session, actor, action.value, target_type="application", target_id=record.id, at=ctx.now(), detail=detail
    )
    return record


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


def scoped(actor: Actor, where: SearchFilter) -> SearchFilter | None:
    """The filter within the actor's scope (R-STAFF-4): from the actor, never from the request; None
    when the request asks for another organisation (nothing to list)."""
    require_role(actor, *STAFF)
    if actor.role is Role.AUTHORITY_ADMIN:
        where = replace(where, authority_code=actor.organisation_code)
    else:
        if where.point_code and where.point_code != actor.organisation_code:
            return None
        where = replace(where, authority_code="", point_code=actor.organisation_code)
    if where.application_number:
        where = replace(where, application_number=numbers.normalise(where.application_number))
    return where


async def in_scope_ids(session: AsyncSession, actor: Actor, application_ids: list[str]) -> list[str]:
    """Those of ``application_ids`` that exist and are in the actor's scope."""
    places = await repo.placements(session, application_ids)
    return [i for i in application_ids if i in places and _place_in_scope(actor, *places[i][1:])]


def _place_in_scope(actor: Actor, authority_code: str, point_code: str) -> bool:
    if actor.role is Role.AUTHORITY_ADMIN:
        return authority_code == actor.organisation_code
    return actor.role is Role.POINT_STAFF and point_code == actor.organisation_code


async def search_applications(
    ctx: ServiceContext, actor: Actor, where: SearchFilter, page_size: int, page_token: str
) -> tuple[list[SummaryRow], str]:
    """Staff lists (R-STAFF-2, R-STAFF-4): the scope comes from the actor, never from the request."""
    scoped_where = scoped(actor, where)
    if scoped_where is None:
        return [], ""
    where = scoped_where
    size = page_size or ctx.settings.default_page_size
    size = max(1, min(size, ctx.settings.max_page_size))
    try:
        after = decode_token(page_token) if page_token else None
    except ValueError as exc:
        raise InvalidInput(
            [FieldProblem("page_token", "INVALID_PAGE_TOKEN", "分页参数无效", "Invalid page token")]
        ) from exc
    async with ctx.reading() as session:
        return await search(session, where, size, after)
