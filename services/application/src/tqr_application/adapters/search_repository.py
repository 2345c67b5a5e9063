"""Staff lists: filter by scope, status, point, number and name, to the certificate numbers
another applicant also claims (R-WIZ-10) or to those also live in another plan (R-STAFF-8); keyset
pages, newest first.

Keyset (submitted_at, id) instead of OFFSET: page 5,000 costs the same as page 1, and a row
inserted while someone pages does not shift later pages. Indexes: ix_applications_* in orm.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.adapters.application_repository import claimed_by_another
from tqr_application.adapters.cross_plan_repository import in_another_plan
from tqr_application.service_layer.context import aware


@dataclass(frozen=True)
class SearchFilter:
    authority_code: str = ""  # scope of an authority admin
    point_code: str = ""  # scope of point staff, or a narrowing chosen by an admin
    status: str = ""
    application_number: str = ""
    applicant_name: str = ""
    certificate_conflicts_only: bool = False  # R-WIZ-10
    other_plan_only: bool = False  # R-STAFF-8


@dataclass(frozen=True)
class SummaryRow:
    id: str
    application_number: str
    applicant_name: str
    document_sealed: str
    status: str
    authority_code: str
    point_code: str
    submitted_at: datetime
    claimed_by_another: bool = False
    in_other_plan: bool = False  # R-STAFF-8


def encode_token(submitted_at: datetime, application_id: str) -> str:
    raw = f"{aware(submitted_at).isoformat()}|{application_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(token: str) -> tuple[datetime, str]:
    """ValueError when the token was not made by ``encode_token``."""
    raw = base64.urlsafe_b64decode(token.encode()).decode()
    stamp, _, application_id = raw.partition("|")
    if not application_id:
        raise ValueError("malformed page token")
    return datetime.fromisoformat(stamp), application_id


async def search(session: AsyncSession, where: SearchFilter, page_size: int,
                 after: tuple[datetime, str] | None) -> tuple[list[SummaryRow], str]:
    t = orm.applications
    claimed = claimed_by_another(t.c.id)
    elsewhere = in_another_plan(t.c.id)
    query = select(t.c.id, t.c.application_number, t.c.applicant_name, t.c.document_number_sealed, t.c.status,
                   t.c.authority_code, t.c.point_code, t.c.submitted_at, claimed.label("claimed_by_another"),
                   elsewhere.label("in_other_plan"))
    for column, value in ((t.c.authority_code, where.authority_code), (t.c.point_code, where.point_code),
                          (t.c.status, where.status), (t.c.application_number, where.application_number),
                          (t.c.applicant_name, where.applicant_name)):
        if value:
            query = query.where(column == value)
    if where.certificate_conflicts_only:
        query = query.where(claimed)
    if where.other_plan_only:
        query = query.where(elsewhere)
    if after is not None:
        stamp, last_id = after
        query = query.where(or_(t.c.submitted_at < stamp, and_(t.c.submitted_at == stamp, t.c.id < last_id)))
    query = query.order_by(t.c.submitted_at.desc(), t.c.id.desc()).limit(page_size + 1)
    rows = [SummaryRow(r.id, r.application_number, r.applicant_name, r.document_number_sealed, r.status,
                       r.authority_code, r.point_code, aware(r.submitted_at), bool(r.claimed_by_another),
                       bool(r.in_other_plan))
            for r in (await session.execute(query)).all()]
    if len(rows) <= page_size:
        return rows, ""
    page = rows[:page_size]
    return page, encode_token(page[-1].submitted_at, page[-1].id)
