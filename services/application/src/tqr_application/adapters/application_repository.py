"""Applications: rows, the live-application key (R-WIZ-9, R-WIZ-10), the number counter, history,
messages, and the certificate numbers claimed by more than one applicant (R-WIZ-10)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tqr_application.adapters import orm
from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.domain.certificate_claims import NOT_CONTENDING
from tqr_application.domain.status import ApplicationStatus
from tqr_application.metrics import STATUS_CHANGES_KEY
from tqr_application.service_layer.context import aware

# Statuses that free the (plan, certificate, applicant) key so the applicant may apply to that plan
# again. A decided application stays the plan's answer for its certificate; only a withdrawal frees it.
RELEASING_STATUSES: frozenset[ApplicationStatus] = frozenset({ApplicationStatus.WITHDRAWN})


@dataclass
class ApplicationRecord:
    id: str
    application_number: str
    applicant_id: str
    plan_id: str
    authority_code: str
    point_code: str
    certificate_number: str
    applicant_name: str
    document_number: str  # opened from the sealed column; personal data
    status: ApplicationStatus
    version: int
    data: dict[str, Any]
    certificate_locked: bool
    submitted_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HistoryRecord:
    from_status: str
    to_status: str
    action: str
    actor_role: str
    actor_id: str
    actor_org: str
    at: datetime
    reason: str
    missing_materials: tuple[str, ...] = field(default=())


def _record(row: Any, cipher: DocumentNumberCipher) -> ApplicationRecord:
    return ApplicationRecord(
        id=row.id,
        application_number=row.application_number,
        applicant_id=row.applicant_id,
        plan_id=row.plan_id,
        authority_code=row.authority_code,
        point_code=row.point_code,
        certificate_number=row.certificate_number,
        applicant_name=row.applicant_name,
        document_number=cipher.open(row.document_number_sealed),
        status=ApplicationStatus(row.status),
        version=row.version,
        data=dict(row.data),
        certificate_locked=row.certificate_locked,
        submitted_at=aware(row.submitted_at),
        updated_at=aware(row.updated_at),
    )


async def get(
    session: AsyncSession, cipher: DocumentNumberCipher, application_id: str, *, applicant_id: str | None = None
) -> ApplicationRecord | None:
    t = orm.applications
    query = select(t).where(t.c.id == application_id)
    if applicant_id is not None:
        query = query.where(t.c.applicant_id == applicant_id)
    row = (await session.execute(query)).first()
    return _record(row, cipher) if row else None


async def get_by_number(session: AsyncSession, cipher: DocumentNumberCipher, number: str) -> ApplicationRecord | None:
    t = orm.applications
    row = (await session.execute(select(t).where(t.c.application_number == number))).first()
    return _record(row, cipher) if row else None


async def by_document(
    session: AsyncSession, cipher: DocumentNumberCipher, document_number: str
) -> list[ApplicationRecord]:
    t = orm.applications
    rows = (
        await session.execute(
            select(t).where(t.c.document_index == cipher.index(document_number)).order_by(t.c.submitted_at.desc())
        )
    ).all()
    return [_record(r, cipher) for r in rows]


async def of_applicant(
    session: AsyncSession, cipher: DocumentNumberCipher, applicant_id: str
) -> list[ApplicationRecord]:
    t = orm.applications
    rows = (
        await session.execute(select(t).where(t.c.applicant_id == applicant_id).order_by(t.c.submitted_at.desc()))
    ).all()
    return [_record(r, cipher) for r in rows]


async def by_idempotency_key(
    session: AsyncSession, cipher: DocumentNumberCipher, applicant_id: str, key: str
) -> ApplicationRecord | None:
    t = orm.applications
    row = (await session.execute(select(t).where(t.c.applicant_id == applicant_id, t.c.idempotency_key == key))).first()
    return _record(row, cipher) if row else None


async def live_application_id(
    session: AsyncSession, plan_id: str, certificate_number: str, applicant_id: str
) -> str | None:
    t = orm.live_applications
    return await session.scalar(  # type: ignore[no-any-return]
        select(t.c.application_id).where(
            t.c.plan_id == plan_id, t.c.certificate_number == certificate_number, t.c.applicant_id == applicant_id
        )
    )


def claimed_by_another(application_id: ColumnElement[str] | str) -> ColumnElement[bool]:
    """R-WIZ-10: the application still contends for its certificate number and so does a live
    application of another applicant, in any plan (contending: live and not found ineligible,
    ``certificate_claims.NOT_CONTENDING``). A condition on ``application_id`` (a column or a
    value), for one case and for the staff lists' filter."""
    mine, theirs = orm.live_applications.alias("mine"), orm.live_applications.alias("theirs")
    mine_row, their_row = orm.applications.alias("mine_row"), orm.applications.alias("their_row")
    settled = [s.value for s in NOT_CONTENDING]
    return exists(
        select(theirs.c.application_id)
        .select_from(mine)
        .join(theirs, and_(theirs.c.certificate_number == mine.c.certificate_number,
                           theirs.c.applicant_id != mine.c.applicant_id))
        .join(mine_row, mine_row.c.id == mine.c.application_id)
        .join(their_row, their_row.c.id == theirs.c.application_id)
        .where(mine.c.application_id == application_id, mine_row.c.status.not_in(settled),
               their_row.c.status.not_in(settled))
    )


async def is_claimed_by_another(session: AsyncSession, application_id: str) -> bool:
    return bool(await session.scalar(select(claimed_by_another(application_id))))


async def next_sequence(session: AsyncSession, year: int, authority_code: str) -> int:
    """Atomically take the next number of (year, authority): one upsert statement, no read first."""
    t = orm.application_counters
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        builder(t)
        .values(year=year, authority_code=authority_code, last=1)
        .on_conflict_do_update(index_elements=[t.c.year, t.c.authority_code], set_={"last": t.c.last + 1})
    )
    return int((await session.execute(upsert.returning(t.c.last))).scalar_one())


async def claim_live(
    session: AsyncSession, plan_id: str, certificate_number: str, applicant_id: str, application_id: str
) -> None:
    """Raises IntegrityError when this applicant already has a live application for the
    certificate in the plan (R-WIZ-9). Another applicant's claim never blocks it (R-WIZ-10)."""
    await session.execute(
        insert(orm.live_applications).values(
            plan_id=plan_id,
            certificate_number=certificate_number,
            applicant_id=applicant_id,
            application_id=application_id,
        )
    )


async def release_live(session: AsyncSession, application_id: str) -> None:
    t = orm.live_applications
    await session.execute(delete(t).where(t.c.application_id == application_id))


async def insert_application(
    session: AsyncSession, cipher: DocumentNumberCipher, record: ApplicationRecord, idempotency_key: str
) -> None:
    await session.execute(
        insert(orm.applications).values(
            id=record.id,
            application_number=record.application_number,
            applicant_id=record.applicant_id,
            idempotency_key=idempotency_key,
            plan_id=record.plan_id,
            authority_code=record.authority_code,
            point_code=record.point_code,
            certificate_number=record.certificate_number,
            applicant_name=record.applicant_name,
            document_index=cipher.index(record.document_number),
            document_number_sealed=cipher.seal(record.document_number),
            status=record.status.value,
            version=record.version,
            data=record.data,
            certificate_locked=record.certificate_locked,
            submitted_at=record.submitted_at,
            updated_at=record.updated_at,
        )
    )


async def save_if_version(session: AsyncSession, record: ApplicationRecord, expected_version: int) -> bool:
    """Optimistic write: only when nobody changed the row since ``expected_version`` was read.

    The record's version must already be ``expected_version + 1``; False means a concurrent change won.
    """
    t = orm.applications
    result = await session.execute(
        update(t)
        .where(t.c.id == record.id, t.c.version == expected_version)
        .values(
            plan_id=record.plan_id,
            authority_code=record.authority_code,
            point_code=record.point_code,
            certificate_number=record.certificate_number,
            status=record.status.value,
            version=record.version,
            data=record.data,
            certificate_locked=record.certificate_locked,
            updated_at=record.updated_at,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def append_history(session: AsyncSession, application_id: str, entry: HistoryRecord) -> None:
    session.info.setdefault(STATUS_CHANGES_KEY, []).append(entry.to_status)  # counted after the commit
    await session.execute(
        insert(orm.status_history).values(
            application_id=application_id,
            from_status=entry.from_status,
            to_status=entry.to_status,
            action=entry.action,
            actor_role=entry.actor_role,
            actor_id=entry.actor_id,
            actor_org=entry.actor_org,
            at=entry.at,
            reason=entry.reason,
            missing_materials=list(entry.missing_materials),
        )
    )


async def history(session: AsyncSession, application_id: str) -> list[HistoryRecord]:
    t = orm.status_history
    rows = (await session.execute(select(t).where(t.c.application_id == application_id).order_by(t.c.id))).all()
    return [
        HistoryRecord(
            r.from_status,
            r.to_status,
            r.action,
            r.actor_role,
            r.actor_id,
            r.actor_org,
            aware(r.at),
            r.reason,
            tuple(r.missing_materials),
        )
        for r in rows
    ]
