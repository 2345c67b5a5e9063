"""Reading the staff audit (R-STAFF-9): staff administration, enrolment, manual reviews, support.

The scope comes from the caller's verified actor only: an authority admin reads the rows written by
staff of its authority and of the authority's confirmation points (a point's code starts with its
authority's code: staff_scope), a system admin every row, anyone else nothing. A query naming
another organisation's staff member or account finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from servicekit import audit_log as shared
from servicekit.audit_log import AuditQuery
from servicekit.errors import FieldProblem, InvalidInput
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from tqr_identity.adapters import orm
from tqr_identity.service_layer.access import Caller, not_allowed
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Role

MAX_TEXT = 100


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    role: str
    staff_id: str
    organisation_code: str
    action: str
    target_kind: str
    target_id: str
    detail: str
    cursor: str


def _scope(caller: Caller) -> ColumnElement[bool] | None:
    """None: every row (system admin)."""
    if caller.role == Role.SYSTEM_ADMIN.value:
        return None
    if caller.role != Role.AUTHORITY_ADMIN.value or not caller.organisation_code:
        raise not_allowed()
    org, col = caller.organisation_code, orm.staff_audit.c.organisation_code
    return or_(col == org, and_(col.startswith(org, autoescape=True), func.length(col) > len(org)))


async def search(ctx: IdentityContext, caller: Caller, query: AuditQuery) -> tuple[list[AuditRow], str]:
    """One page, newest first, and the token of the next ("" on the last page)."""
    scope = _scope(caller)
    problems = [FieldProblem(name, shared.RULE, "查询条件过长", "That search term is too long")
                for name in ("target", "staff_id", "action") if len(getattr(query, name)) > MAX_TEXT]
    if problems:
        raise InvalidInput(problems)
    shared.check_range(query.since, query.until)
    size = shared.page_size(query.page_size)
    log = orm.staff_audit.c
    where: list[ColumnElement[bool]] = [] if scope is None else [scope]
    if query.target.strip():
        where.append(log.target_id == query.target.strip())
    if query.staff_id.strip():
        where.append(log.staff_id == query.staff_id.strip())
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
    async with ctx.reading() as session:
        rows = (await session.execute(
            select(orm.staff_audit).where(*where).order_by(log.at.desc(), log.id.desc()).limit(size + 1))).all()
    page = [_row(r) for r in rows[:size]]
    return page, page[-1].cursor if len(rows) > size else ""


def _row(r: Any) -> AuditRow:
    detail = shared.detail_text({"decision": r.decision, "reason": r.reason}, kept_keys=frozenset({"decision"}))
    return AuditRow(id=r.id, at=r.at, role=r.role, staff_id=r.staff_id, organisation_code=r.organisation_code,
                    action=r.action, target_kind=r.target_kind, target_id=r.target_id, detail=detail,
                    cursor=shared.encode_cursor(r.at, r.id))
