"""R-PUB-1: the public registration result check, read from the applications and their history."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from tqr_application.adapters import orm
from tqr_application.domain.public_result import DECIDED, PublicResult, newest, parse_query
from tqr_application.domain.status import ApplicationStatus
from tqr_application.service_layer.context import ServiceContext, aware


async def check_result(ctx: ServiceContext, values: Mapping[str, Any]) -> PublicResult | None:
    query = parse_query(values)
    a, h = orm.applications, orm.status_history
    decided_at = (
        select(func.max(h.c.at)).where(h.c.application_id == a.c.id, h.c.to_status == a.c.status).scalar_subquery()
    )
    statement = select(a.c.applicant_name, a.c.status, decided_at.label("decided_at")).where(
        a.c.certificate_number == query.certificate_number, a.c.status.in_([s.value for s in DECIDED]))
    async with ctx.reading() as session:
        rows = (await session.execute(statement)).all()
    decisions = [(r.applicant_name, ApplicationStatus(r.status), aware(r.decided_at)) for r in rows if r.decided_at]
    return newest(decisions, query)
