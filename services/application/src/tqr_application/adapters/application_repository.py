"""Applications: the aggregate stored as rows, the live-application key (R-WIZ-9, R-WIZ-10), the
number counter, history, messages, and the certificate numbers claimed by more than one applicant (R-WIZ-10)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from tqr_application.adapters import cross_plan_repository as cross_plan
from tqr_application.adapters import orm
from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.domain.application import (
    Answers,
    Application,
    Decision,
    HistoryEntry,
    MessagePosted,
    Placement,
    StatusChanged,
    Submitted,
)
from tqr_application.domain.certificate_claims import NOT_CONTENDING
from tqr_application.domain.status import ApplicationStatus
from tqr_application.metrics import STATUS_CHANGES_KEY
from tqr_application.service_layer.context import aware


def _application(row: Any, cipher: DocumentNumberCipher) -> Application:
    data = row.data
    return Application(
        id=row.id,
        application_number=row.application_number,
        applicant_id=row.applicant_id,
        placement=Placement(row.plan_id, row.authority_code, row.point_code),
        certificate_number=row.certificate_number,
        applicant_name=row.applicant_name,
        document_number=cipher.open(row.document_number_sealed),
        status=ApplicationStatus(row.status),
        version=row.version,
        answers=Answers(
            certificate=dict(data.get("certificate", {})),
            materials=dict(data.get("materials", {})),
            teaching_stage_code=data.get("teaching_stage_code", ""),
            teaching_subject_code=data.get("teaching_subject_code", ""),
            identity=dict(data.get("identity", {})),
            overridden_warnings=tuple(data.get("overridden_warnings", ())),
        ),
        decision=Decision(data.get("last_reason", ""), tuple(data.get("missing_materials", ())),
                          _instant(data.get("materials_resubmitted_at"))),
        certificate_locked=row.certificate_locked,
        edit_revision=int(data.get("edit_revision", 1)),
        submitted_at=aware(row.submitted_at),
        updated_at=aware(row.updated_at),
    )


def _data(app: Application) -> dict[str, Any]:
    """The JSON column: the wizard's answers and the last decision, in the layout rows already have."""
    a = app.answers
    return {
        "certificate": dict(a.certificate),
        "materials": dict(a.materials),
        "teaching_stage_code": a.teaching_stage_code,
        "teaching_subject_code": a.teaching_subject_code,
        "identity": dict(a.identity),
        "overridden_warnings": list(a.overridden_warnings),
        "last_reason": app.decision.reason,
        "missing_materials": list(app.decision.missing_materials),
        "edit_revision": app.edit_revision,
        "materials_resubmitted_at": app.decision.resubmitted_at.isoformat() if app.decision.resubmitted_at else None,
    }


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


async def get(
    session: AsyncSession, cipher: DocumentNumberCipher, application_id: str, *, applicant_id: str | None = None
) -> Application | None:
    t = orm.applications
    query = select(t).where(t.c.id == application_id)
    if applicant_id is not None:
        query = query.where(t.c.applicant_id == applicant_id)
    row = (await session.execute(query)).first()
    return _application(row, cipher) if row else None


async def revision_of(session: AsyncSession, application_id: str) -> tuple[str, str, int] | None:
    """(id, applicant id, edit revision) of an application, without reading its content."""
    t = orm.applications
    revision = func.coalesce(t.c.data["edit_revision"].as_integer(), 1)  # as _application reads it
    row = (await session.execute(select(t.c.id, t.c.applicant_id, revision.label("edit_revision"))
                                 .where(t.c.id == application_id))).first()
    return (row.id, row.applicant_id, int(row.edit_revision)) if row else None


async def get_by_number(session: AsyncSession, cipher: DocumentNumberCipher, number: str) -> Application | None:
    t = orm.applications
    row = (await session.execute(select(t).where(t.c.application_number == number))).first()
    return _application(row, cipher) if row else None


async def by_document(
    session: AsyncSession, cipher: DocumentNumberCipher, document_number: str
) -> list[Application]:
    t = orm.applications
    rows = (
        await session.execute(
            select(t).where(t.c.document_index == cipher.index(document_number)).order_by(t.c.submitted_at.desc())
        )
    ).all()
    return [_application(r, cipher) for r in rows]


async def of_applicant(
    session: AsyncSession, cipher: DocumentNumberCipher, applicant_id: str
) -> list[Application]:
    t = orm.applications
    rows = (
        await session.execute(select(t).where(t.c.applicant_id == applicant_id).order_by(t.c.submitted_at.desc()))
    ).all()
    return [_application(r, cipher) for r in rows]


async def by_idempotency_key(
    session: AsyncSession, cipher: DocumentNumberCipher, applicant_id: str, key: str
) -> Application | None:
    t = orm.applications
    row = (await session.execute(select(t).where(t.c.applicant_id == applicant_id, t.c.idempotency_key == key))).first()
    return _application(row, cipher) if row else None


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


# Built once: the aliases cost more to make than the statement to run.
_CLAIMED_BY_ANOTHER = select(claimed_by_another(bindparam("application_id", type_=String)))


async def is_claimed_by_another(session: AsyncSession, application_id: str) -> bool:
    return bool(await session.scalar(_CLAIMED_BY_ANOTHER, {"application_id": application_id}))


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


async def add(session: AsyncSession, cipher: DocumentNumberCipher, app: Application, idempotency_key: str) -> None:
    """Store a newly submitted application with the history its events describe, and mark it and
    any live application of another plan with the same number (R-STAFF-8)."""
    await cross_plan.lock_number(session, app.certificate_number)
    await session.execute(
        insert(orm.applications).values(
            id=app.id,
            application_number=app.application_number,
            applicant_id=app.applicant_id,
            idempotency_key=idempotency_key,
            plan_id=app.plan_id,
            authority_code=app.authority_code,
            point_code=app.point_code,
            certificate_number=app.certificate_number,
            applicant_name=app.applicant_name,
            document_index=cipher.index(app.document_number),
            document_number_sealed=cipher.seal(app.document_number),
            status=app.status.value,
            version=app.version,
            data=_data(app),
            certificate_locked=app.certificate_locked,
            submitted_at=app.submitted_at,
            updated_at=app.updated_at,
        )
    )
    await _write_consequences(session, app)
    await cross_plan.refresh(session, app)
    app.read_version = app.version
    app._read_revision = app.edit_revision


async def save(session: AsyncSession, app: Application) -> bool:
    """Optimistic write: only when nobody changed the row since this unit of work read it.

    False means a concurrent change won and nothing was written. Otherwise the history rows of the
    recorded status changes are added and, when the application reached a status that frees its
    live key (``Application.frees_live_key``), the key is released; the application's R-STAFF-8
    marks are rewritten. The events stay recorded for the integration events built from them.
    """
    t = orm.applications
    if app.version == app.read_version:  # nothing of the row changed (a message was posted)
        await _write_consequences(session, app)
        return True
    # R-STAFF-8: the number's lock before the row's (cross_plan_repository), old and new number in
    # one order so that two applications trading numbers cannot wait for each other.
    for number in sorted({app.read_certificate_number, app.certificate_number}):
        await cross_plan.lock_number(session, number)
    result = await session.execute(
        update(t)
        .where(t.c.id == app.id, t.c.version == app.read_version)
        .values(
            plan_id=app.plan_id,
            authority_code=app.authority_code,
            point_code=app.point_code,
            certificate_number=app.certificate_number,
            status=app.status.value,
            version=app.version,
            data=_data(app),
            certificate_locked=app.certificate_locked,
            updated_at=app.updated_at,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    await _write_consequences(session, app)
    await cross_plan.refresh(session, app)
    app.read_version = app.version
    app.read_certificate_number = app.certificate_number
    app._read_revision = app.edit_revision
    return True


async def _write_consequences(session: AsyncSession, app: Application) -> None:
    for event in app.events:
        if isinstance(event, Submitted | StatusChanged):
            await _append_history(session, app.id, event.history())
        if isinstance(event, MessagePosted):
            await session.execute(insert(orm.messages).values(
                id=event.message_id, application_id=app.id, author_role=event.author.role.value,
                author_id=event.author.subject_id, author_org_code=event.author.organisation_code,
                author_org_name=event.author_org_name, body=event.body, created_at=event.at,
            ))
    if app.frees_live_key and any(isinstance(e, StatusChanged) for e in app.events):
        await release_live(session, app.id)


async def _append_history(session: AsyncSession, application_id: str, entry: HistoryEntry) -> None:
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


async def history(session: AsyncSession, application_id: str) -> list[HistoryEntry]:
    t = orm.status_history
    rows = (await session.execute(select(t).where(t.c.application_id == application_id).order_by(t.c.id))).all()
    return [
        HistoryEntry(
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


async def messages(session: AsyncSession, application_ids: list[str]) -> list[dict[str, object]]:
    """R-APP-4: the messages on these applications, newest first."""
    if not application_ids:
        return []
    t = orm.messages
    query = select(t).where(t.c.application_id.in_(application_ids)).order_by(t.c.created_at.desc())
    return [dict(row._mapping) for row in (await session.execute(query)).all()]


async def placements(session: AsyncSession, application_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """application id → (application number, authority code, point code), for those that exist."""
    if not application_ids:
        return {}
    t = orm.applications
    rows = (await session.execute(select(t.c.id, t.c.application_number, t.c.authority_code, t.c.point_code)
                                  .where(t.c.id.in_(application_ids)))).all()
    return {r.id: (r.application_number, r.authority_code, r.point_code) for r in rows}
