"""Reading the audit log (R-STAFF-9): staff search it, applicants see who (which organisation) looked.

The scope comes from the caller's verified actor only: an authority admin reads the rows written by
its authority and by the authority's confirmation points (as the reference data lists them now), a
system admin every row, anyone else nothing. A query that names another organisation's application
or staff member simply finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servicekit import audit_log as shared
from servicekit import text
from servicekit.audit_log import AuditQuery
from servicekit.errors import FieldProblem, InvalidInput
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tqr_application.adapters import orm
from tqr_application.domain import numbers
from tqr_application.domain.roles import Actor, Role
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.applicant import load_own
from tqr_application.service_layer.context import ServiceContext

# The detail keys whose values are this service's own codes and ids (everything else is masked).
KEPT_DETAIL_KEYS = frozenset({"from", "to", "found", "message_id", "document", "plan_id", "point_code",
                              "authority_code", "version", "counts",
                              # R-STAFF-6: a bulk request's key and counts, a claim's end
                              "bulk", "action", "items", "succeeded", "refused", "until"})
# What the applicant is shown as "looked at" rather than "changed".
LOOKS = frozenset({"VIEW_APPLICATION", "FIND_APPLICATION", "DOWNLOAD_FORM", "CLAIM_APPLICATION", "RELEASE_CLAIM"})
STAFF_ROLES = (Role.AUTHORITY_ADMIN.value, Role.POINT_STAFF.value)
MAX_ACCESS_ROWS = 200
MAX_TEXT = 100


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_role: str
    actor_id: str
    actor_org: str
    action: str
    target_type: str
    target_id: str
    detail: str
    cursor: str


@dataclass(frozen=True)
class Access:
    at: datetime
    organisation_code: str
    organisation_name: str
    changed: bool
    action: str


def _check(query: AuditQuery) -> None:
    problems = [FieldProblem(name, shared.RULE, "查询条件过长", "That search term is too long")
                for name in ("target", "staff_id", "action") if len(getattr(query, name)) > MAX_TEXT]
    if problems:
        raise InvalidInput(problems)
    shared.check_range(query.since, query.until)


async def organisation_codes(session: AsyncSession, actor: Actor) -> list[str] | None:
    """The actor organisations whose rows the caller may read; None: every row (system admin)."""
    require_role(actor, Role.AUTHORITY_ADMIN, Role.SYSTEM_ADMIN)
    if actor.role is Role.SYSTEM_ADMIN:
        return None
    points = await session.scalars(select(orm.confirmation_points.c.code).where(
        orm.confirmation_points.c.authority_code == actor.organisation_code))
    return [actor.organisation_code, *points]


async def _target_ids(session: AsyncSession, target: str) -> list[str]:
    """An application number (typed any way: R-WIZ-11) also finds the rows about its application."""
    wanted = [target]
    folded = text.normalise_number(target)
    if numbers.is_valid(folded):
        found = await session.scalar(select(orm.applications.c.id).where(
            orm.applications.c.application_number == numbers.normalise(folded)))
        if found:
            wanted.append(found)
    return wanted


async def search(ctx: ServiceContext, actor: Actor, query: AuditQuery) -> tuple[list[AuditRow], str]:
    """One page, newest first, and the token of the next ("" on the last page)."""
    _check(query)
    size = shared.page_size(query.page_size)
    log = orm.audit_log.c
    async with ctx.reading() as session:
        scope = await organisation_codes(session, actor)
        where: list[ColumnElement[bool]] = []
        if scope is not None:
            where.append(log.actor_org.in_(scope))
        if query.target.strip():
            where.append(log.target_id.in_(await _target_ids(session, query.target.strip())))
        if query.staff_id.strip():
            where.append(log.actor_id == query.staff_id.strip())
        if query.action.strip():
            where.append(log.action == query.action.strip())
        if query.since is not None:
            where.append(log.at >= query.since)
        if query.until is not None:
            where.append(log.at < query.until)
        if query.page_token:
            at, row_id = shared.decode_cursor(query.page_token)
            if not row_id.isdigit():
                raise shared.bad_cursor()
            where.append(or_(log.at < at, and_(log.at == at, log.id < int(row_id))))
        rows = (await session.execute(
            select(orm.audit_log).where(*where).order_by(log.at.desc(), log.id.desc()).limit(size + 1))).all()
    page = [_row(r) for r in rows[:size]]
    return page, page[-1].cursor if len(rows) > size else ""


def _row(r: Any) -> AuditRow:
    detail = r.detail if isinstance(r.detail, dict) else {}
    return AuditRow(id=r.id, at=r.at, actor_role=r.actor_role, actor_id=r.actor_id, actor_org=r.actor_org,
                    action=r.action, target_type=r.target_type, target_id=r.target_id,
                    detail=shared.detail_text(detail, kept_keys=KEPT_DETAIL_KEYS),
                    cursor=shared.encode_cursor(r.at, r.id))


async def access_of(ctx: ServiceContext, actor: Actor, application_id: str) -> list[Access]:
    """R-STAFF-9: which organisation looked at or changed the applicant's own application, and when.
    Never who: no staff id, name or role leaves this function."""
    async with ctx.reading() as session:
        record = await load_own(ctx, session, actor, application_id)
        log = orm.audit_log.c
        rows = (await session.execute(
            select(log.at, log.actor_org, log.action)
            .where(log.target_type == "application", log.target_id == record.id, log.actor_role.in_(STAFF_ROLES))
            .order_by(log.at.desc(), log.id.desc()).limit(MAX_ACCESS_ROWS))).all()
        names = await _organisation_names(session, {r.actor_org for r in rows})
    return [Access(at=r.at, organisation_code=r.actor_org, organisation_name=names.get(r.actor_org, r.actor_org),
                   changed=r.action not in LOOKS, action=r.action) for r in rows]


async def _organisation_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    a, p = orm.authorities.c, orm.confirmation_points.c
    names = {r.code: r.name for r in await session.execute(select(a.code, a.name).where(a.code.in_(codes)))}
    names.update({r.code: r.name for r in await session.execute(select(p.code, p.name).where(p.code.in_(codes)))})
    return names

