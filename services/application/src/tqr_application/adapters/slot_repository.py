"""Appointment slots and bookings in the database (R-SLOT-1..3).

Capacity is held by the database: a booking raises ``appointment_slots.booked`` with one
conditional UPDATE (``WHERE booked < capacity``), and ``CHECK (booked <= capacity)`` stands behind
it. On PostgreSQL concurrent UPDATEs of one row wait for each other and re-check the WHERE on the
row as committed, so of many bookings racing for the last places exactly the free ones succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, Select, and_, delete, exists, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.adapters.reference_cache import reference_changed, remembered
from tqr_application.domain.application import RELEASING_STATUSES
from tqr_application.domain.slots import Slot, SlotStatus
from tqr_application.service_layer.context import aware

S = orm.appointment_slots
B = orm.slot_bookings


@dataclass(frozen=True)
class Booking:
    applicant_id: str
    plan_id: str
    slot_id: str
    applicant_name: str
    booked_at: datetime


def _slot(row: Any) -> Slot:
    return Slot(
        slot_id=row.id, point_code=row.point_code, starts_at=aware(row.starts_at), ends_at=aware(row.ends_at),
        capacity=row.capacity, booked=row.booked, status=SlotStatus(row.status), cancel_reason=row.cancel_reason,
    )


def _booking(row: Any) -> Booking:
    return Booking(row.applicant_id, row.plan_id, row.slot_id, row.applicant_name, aware(row.booked_at))


async def points_with_slots(session: AsyncSession) -> frozenset[str]:
    """The points that have ever published a slot (cancelled and past ones included), remembered
    with the reference data: a wizard step at a plan none of whose points is here asks nothing
    more about slots. ``add_slot`` bumps the reference version, so a point's first slot is seen by
    every replica with its next request."""
    return await remembered(session, "points with slots", _points_with_slots)


async def _points_with_slots(session: AsyncSession) -> frozenset[str]:
    return frozenset((await session.scalars(select(S.c.point_code).distinct())).all())


async def add_slot(session: AsyncSession, slot: Slot, *, created_by: str, now: datetime) -> None:
    await reference_changed(session)
    await session.execute(insert(S).values(
        id=slot.slot_id, point_code=slot.point_code, starts_at=slot.starts_at, ends_at=slot.ends_at,
        capacity=slot.capacity, booked=0, status=slot.status.value, cancel_reason="", created_by=created_by,
        created_at=now,
    ))


async def get_slot(session: AsyncSession, slot_id: str) -> Slot | None:
    row = (await session.execute(select(S).where(S.c.id == slot_id))).first()
    return _slot(row) if row else None


async def slots_of(session: AsyncSession, point_codes: list[str], *, since: datetime,
                   until: datetime | None = None, include_cancelled: bool = False) -> list[Slot]:
    where = [S.c.point_code.in_(point_codes), S.c.starts_at >= since]
    if until is not None:
        where.append(S.c.starts_at < until)
    if not include_cancelled:
        where.append(S.c.status == SlotStatus.OPEN.value)
    rows = (await session.execute(select(S).where(*where).order_by(S.c.point_code, S.c.starts_at, S.c.id))).all()
    return [_slot(r) for r in rows]


async def has_open_slots(session: AsyncSession, point_code: str, now: datetime) -> bool:
    found = await session.scalar(select(S.c.id).where(
        S.c.point_code == point_code, S.c.status == SlotStatus.OPEN.value, S.c.starts_at > now).limit(1))
    return found is not None


async def cutoff_hours(session: AsyncSession, point_code: str, default: int) -> int:
    t = orm.point_slot_settings
    found = await session.scalar(select(t.c.cutoff_hours).where(t.c.point_code == point_code))
    return default if found is None else int(found)


async def set_cutoff_hours(session: AsyncSession, point_code: str, hours: int) -> None:
    t = orm.point_slot_settings
    changed = await session.execute(update(t).where(t.c.point_code == point_code).values(cutoff_hours=hours))
    if not changed.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(t).values(point_code=point_code, cutoff_hours=hours))


async def take_place(session: AsyncSession, slot_id: str, *, bookable_after: datetime) -> bool:
    """One place of an open slot starting after ``bookable_after`` (now + the cut-off); False when
    it is full, cancelled or past its cut-off. The condition and the increment are one statement."""
    taken = await session.execute(
        update(S)
        .where(S.c.id == slot_id, S.c.status == SlotStatus.OPEN.value, S.c.booked < S.c.capacity,
               S.c.starts_at > bookable_after)
        .values(booked=S.c.booked + 1)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def give_place_back(session: AsyncSession, slot_id: str) -> None:
    await session.execute(update(S).where(S.c.id == slot_id, S.c.booked > 0).values(booked=S.c.booked - 1))


async def booking_of(session: AsyncSession, applicant_id: str, plan_id: str, *, lock: bool = False) -> Booking | None:
    query = select(B).where(B.c.applicant_id == applicant_id, B.c.plan_id == plan_id)
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return _booking(row) if row else None


async def bookings_of_applicant(session: AsyncSession, applicant_id: str) -> list[Booking]:
    rows = (await session.execute(select(B).where(B.c.applicant_id == applicant_id))).all()
    return [_booking(r) for r in rows]


async def put_booking(session: AsyncSession, booking: Booking, *, replacing: bool) -> None:
    if replacing:
        await session.execute(update(B).where(B.c.applicant_id == booking.applicant_id, B.c.plan_id == booking.plan_id)
                              .values(slot_id=booking.slot_id, applicant_name=booking.applicant_name,
                                      booked_at=booking.booked_at))
    else:
        await session.execute(insert(B).values(
            applicant_id=booking.applicant_id, plan_id=booking.plan_id, slot_id=booking.slot_id,
            applicant_name=booking.applicant_name, booked_at=booking.booked_at))


def kept_by_an_application(applicant_id: Any, plan_id: Any) -> Exists:
    """Whether the applicant has an application in the plan that holds its booking: any but a
    withdrawn one, whose place went back when it was withdrawn (a later draft's booking in the
    same plan is the draft's, to go back when the draft is left)."""
    a = orm.applications
    return exists().where(a.c.applicant_id == applicant_id, a.c.plan_id == plan_id,
                          a.c.status.not_in([status.value for status in RELEASING_STATUSES]))


def abandoned_bookings(now: datetime, *, applicant_id: str | None = None, plan_id: str | None = None,
                       limit: int = 200) -> Select[tuple[str, str]]:
    """(applicant, plan) of bookings no application keeps whose draft can no longer use them: the
    plan's online window has closed, or the applicant's draft is in another plan (or gone).
    A draft's ``open_plan_id`` answers without reading its JSON; the JSON is read where that column
    says otherwise, as a draft saved by a pod of a release before the column does not keep it."""
    d, p = orm.drafts, orm.plans
    kept = kept_by_an_application(B.c.applicant_id, B.c.plan_id)
    draft_in_plan = exists().where(
        d.c.applicant_id == B.c.applicant_id,
        or_(d.c.open_plan_id == B.c.plan_id, d.c.data[("draft", "authority", "plan_id")].as_string() == B.c.plan_id))
    window_closed = exists().where(p.c.id == B.c.plan_id, p.c.online_end < now)
    query = select(B.c.applicant_id, B.c.plan_id).where(~kept, or_(window_closed, ~draft_in_plan))
    if applicant_id is not None and plan_id is not None:
        query = query.where(B.c.applicant_id == applicant_id, B.c.plan_id == plan_id)
    return query.order_by(B.c.applicant_id, B.c.plan_id).limit(limit)


async def remove_booking(session: AsyncSession, applicant_id: str, plan_id: str) -> None:
    await session.execute(delete(B).where(B.c.applicant_id == applicant_id, B.c.plan_id == plan_id))


async def cancel_slot(session: AsyncSession, slot_id: str, *, reason: str, now: datetime) -> bool:
    """Open → cancelled (its bookings stay, so their holders see that they must re-book)."""
    changed = await session.execute(update(S).where(S.c.id == slot_id, S.c.status == SlotStatus.OPEN.value)
                                    .values(status=SlotStatus.CANCELLED.value, cancel_reason=reason,
                                            cancelled_at=now))
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def bookings_on(session: AsyncSession, slot_ids: list[str]) -> list[Booking]:
    if not slot_ids:
        return []
    rows = (await session.execute(select(B).where(B.c.slot_id.in_(slot_ids)).order_by(B.c.booked_at))).all()
    return [_booking(r) for r in rows]


async def applications_of(session: AsyncSession, bookings: list[Booking]) -> dict[tuple[str, str], Any]:
    """The newest application of each booking's account in the booking's plan (id, number, status)."""
    if not bookings:
        return {}
    a = orm.applications
    pairs = [and_(a.c.applicant_id == b.applicant_id, a.c.plan_id == b.plan_id) for b in bookings]
    rows = (await session.execute(
        select(a.c.id, a.c.application_number, a.c.status, a.c.applicant_id, a.c.plan_id)
        .where(or_(*pairs)).order_by(a.c.submitted_at)
    )).all()
    return {(r.applicant_id, r.plan_id): r for r in rows}  # the newest wins
