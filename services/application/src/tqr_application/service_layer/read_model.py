"""One application with everything a page or the form shows about it (R-APP-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters import cross_plan_repository as cross_plan
from tqr_application.adapters import orm, reference_cache
from tqr_application.adapters import plan_repository as plans_repo
from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.application import Application, HistoryEntry
from tqr_application.domain.edits import FieldGroup, edit_deadline, editable_groups
from tqr_application.domain.plans import PointWindow
from tqr_application.domain.reference import Authority, ConfirmationPoint
from tqr_application.domain.roles import Role
from tqr_application.domain.status import StatusAction, allowed_actions
from tqr_application.service_layer.slots import BookingView, booking_at


@dataclass(frozen=True)
class ApplicationDetails:
    record: Application
    authority: Authority | None
    point: ConfirmationPoint | None
    point_notes: str
    window: PointWindow | None
    online_end: datetime | None
    history: tuple[HistoryEntry, ...]
    names: dict[str, dict[str, str]]
    editable: frozenset[FieldGroup]
    actions: tuple[StatusAction, ...]
    photo: bytes | None
    # R-WIZ-10, for staff: another applicant's live application claims the same certificate number.
    claimed_by_another: bool = False
    edit_until: datetime | None = None  # R-APP-6
    # R-STAFF-8, for staff: the authorities of other plans with a live application for this number.
    other_plans: tuple[cross_plan.OtherPlan, ...] = ()
    slot: BookingView | None = None  # R-SLOT-2: the appointment booked at the point
    reference_version: int = 0  # what the reference data read for these details was current at


async def any_plan_open(session: AsyncSession, now: datetime) -> bool:
    t = orm.plans
    return bool(await session.scalar(select(exists().where(t.c.online_start <= now, t.c.online_end >= now))))


async def registry_photo(session: AsyncSession, certificate_number: str) -> bytes | None:
    t = orm.registry_certificates
    return await session.scalar(  # type: ignore[no-any-return]
        select(t.c.photo).where(t.c.certificate_number == certificate_number)
    )


async def details(session: AsyncSession, record: Application, *, now: datetime, role: Role) -> ApplicationDetails:
    authority = await ref.get_authority(session, record.authority_code)
    found = await ref.get_point(session, record.point_code)
    point, notes = found if found else (None, "")
    plan = await plans_repo.get_plan(session, record.plan_id)
    window = plan.window_of(record.point_code) if plan else None
    editable: frozenset[FieldGroup] = frozenset()
    if role is Role.APPLICANT and window is not None:
        editable = editable_groups(
            record.status, now=now, confirmation_end=window.confirm_end,
            certificate_locked=record.certificate_locked, online_window_open=await any_plan_open(session, now),
        )
    photo = await registry_photo(session, record.certificate_number) if record.certificate_locked else None
    # What staff weigh (R-WIZ-10, R-STAFF-8) and the history are shown on pages, not printed: the
    # form (SYSTEM, asked for every download and every printout status) reads none of them.
    for_staff = role not in (Role.APPLICANT, Role.SYSTEM)
    claimed = for_staff and await repo.is_claimed_by_another(session, record.id)
    other_plans = tuple(await cross_plan.other_plans(session, record.id)) if for_staff else ()
    history = tuple(await repo.history(session, record.id)) if role is not Role.SYSTEM else ()
    return ApplicationDetails(
        record=record, authority=authority, point=point, point_notes=notes, window=window,
        online_end=plan.online_end if plan else None,
        history=history, names=await ref.code_names(session),
        editable=editable, actions=allowed_actions(record.status, role), photo=photo, claimed_by_another=claimed,
        other_plans=other_plans,
        edit_until=edit_deadline(record.status, confirmation_end=window.confirm_end) if window else None,
        slot=await booking_at(session, record.applicant_id, record.plan_id, now),
        reference_version=reference_cache.version_seen(session),
    )
