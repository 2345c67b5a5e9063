"""Confirmation appointment slots (R-SLOT-1..3).

A point's staff publish and cancel slots of their own point and set its cut-off. An applicant books
one at wizard step 5 when the chosen point publishes slots, and may re-book (in the wizard or from
the portal) until the cut-off before the booked slot. A booking belongs to the account within a
plan: the draft holds it, and the application submitted in that plan keeps it. Capacity is the
database's (adapters/slot_repository.take_place). Cancelling a slot stages one
``AppointmentSlotCancelled`` per person booked on it, in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied, RuleViolation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from tqr.application.v1 import events_pb2

from tqr_application.adapters import orm
from tqr_application.adapters import reference_repository as ref
from tqr_application.adapters import slot_repository as repo
from tqr_application.adapters.slot_repository import Booking
from tqr_application.domain import slots as rules
from tqr_application.domain.edits import BEIJING
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.slots import Slot, SlotStatus
from tqr_application.domain.status import STATUS_INFO, ApplicationStatus
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext, aware

# An application keeps its booking useful while it waits for the on-site check.
REBOOKABLE_STATUSES = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.MATERIALS_INCOMPLETE})
MAX_POINTS_PER_LIST = 50
ABANDONED_BATCH = 200


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    cutoff_hours: int
    now: datetime

    @property
    def cutoff_at(self) -> datetime:
        return self.slot.cutoff_at(self.cutoff_hours)

    @property
    def bookable(self) -> bool:
        return self.slot.bookable(self.now, self.cutoff_hours)


@dataclass(frozen=True)
class BookingView:
    slot: SlotView
    booked_at: datetime

    @property
    def needs_rebooking(self) -> bool:
        """R-SLOT-3: the point cancelled the slot."""
        return self.slot.slot.status is SlotStatus.CANCELLED

    @property
    def can_rebook(self) -> bool:
        return self.needs_rebooking or self.slot.slot.before_cutoff(self.slot.now, self.slot.cutoff_hours)


@dataclass(frozen=True)
class DayEntry:
    booking: Booking
    application_id: str
    application_number: str
    status_label: str


def _today_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(BEIJING).date(), time(0, 0), tzinfo=BEIJING)


def require_point_staff_of(actor: Actor, point_code: str) -> None:
    require_role(actor, Role.POINT_STAFF)
    if actor.organisation_code != point_code:
        raise PermissionDenied("R-STAFF-4", "只能管理本确认点的预约时段",
                               "You can manage only your own confirmation point's slots")


async def _cutoff(ctx: ServiceContext | None, session: AsyncSession, point_code: str) -> int:
    return await repo.cutoff_hours(session, point_code, rules.DEFAULT_CUTOFF_HOURS)


# --- reading -------------------------------------------------------------------------------------

async def list_slots(ctx: ServiceContext, actor: Actor, point_codes: list[str],
                     include_cancelled: bool) -> tuple[list[SlotView], int]:
    codes = list(dict.fromkeys(c.strip() for c in point_codes if c.strip()))[:MAX_POINTS_PER_LIST]
    if include_cancelled and actor.role is Role.APPLICANT:
        include_cancelled = False
    now = ctx.now()
    async with ctx.reading() as session:
        if not codes:
            return [], rules.DEFAULT_CUTOFF_HOURS
        hours = {code: await _cutoff(ctx, session, code) for code in codes}
        found = await repo.slots_of(session, codes, since=_today_start(now), include_cancelled=include_cancelled)
        return [SlotView(s, hours[s.point_code], now) for s in found], hours[codes[0]]


async def open_slots_of(session: AsyncSession, point_codes: list[str], now: datetime) -> list[SlotView]:
    """The open slots of these points from today on (wizard step 5 lists them)."""
    if not point_codes:
        return []
    hours = {code: await _cutoff(None, session, code) for code in point_codes}
    found = await repo.slots_of(session, point_codes, since=_today_start(now))
    return [SlotView(s, hours[s.point_code], now) for s in found]


async def booking_view(ctx: ServiceContext, session: AsyncSession, applicant_id: str,
                       plan_id: str) -> BookingView | None:
    return await booking_at(session, applicant_id, plan_id, ctx.now())


async def booking_at(session: AsyncSession, applicant_id: str, plan_id: str, now: datetime) -> BookingView | None:
    """The account's booking in the plan as of ``now`` (the read model's view of it)."""
    booking = await repo.booking_of(session, applicant_id, plan_id)
    if booking is None:
        return None
    slot = await repo.get_slot(session, booking.slot_id)
    if slot is None:
        return None
    return BookingView(SlotView(slot, await _cutoff(None, session, slot.point_code), now), booking.booked_at)


async def day_list(ctx: ServiceContext, actor: Actor, point_code: str,
                   day: str) -> tuple[list[tuple[SlotView, list[DayEntry]]], int]:
    require_point_staff_of(actor, point_code)
    start, end = rules.local_day(day)
    now = ctx.now()
    async with ctx.reading() as session:
        hours = await _cutoff(ctx, session, point_code)
        found = await repo.slots_of(session, [point_code], since=start, until=end, include_cancelled=True)
        bookings = await repo.bookings_on(session, [s.slot_id for s in found])
        applications = await repo.applications_of(session, bookings)
    result = []
    for slot in found:
        entries = []
        for b in (b for b in bookings if b.slot_id == slot.slot_id):
            row = applications.get((b.applicant_id, b.plan_id))
            label = STATUS_INFO[ApplicationStatus(row.status)].label_zh if row else "申报未提交"
            entries.append(DayEntry(b, row.id if row else "", row.application_number if row else "", label))
        result.append((SlotView(slot, hours, now), entries))
    return result, hours


# --- point staff ---------------------------------------------------------------------------------

async def publish(ctx: ServiceContext, actor: Actor, point_code: str, day: str, start_time: str, end_time: str,
                  capacity: int) -> SlotView:
    require_point_staff_of(actor, point_code)
    now = ctx.now()
    typed = rules.parse_slot(day, start_time, end_time, capacity, now)
    async with ctx.transaction() as session:
        if await ref.get_point(session, point_code) is None:
            raise NotFound("POINT_NOT_FOUND", "找不到该确认点", "No such confirmation point")
        t = orm.plan_points
        windows = (await session.execute(select(t.c.confirm_start, t.c.confirm_end)
                                         .where(t.c.point_code == point_code))).all()
        if not any(aware(w.confirm_start) <= typed.starts_at and typed.ends_at <= aware(w.confirm_end)
                   for w in windows):
            raise InvalidInput([FieldProblem("date", "R-SLOT-1", "时段须在本确认点的现场确认时间内",
                                             "The slot must lie within this point's confirmation window")])
        slot = Slot(str(uuid.uuid4()), point_code, typed.starts_at, typed.ends_at, typed.capacity, 0, SlotStatus.OPEN)
        await repo.add_slot(session, slot, created_by=actor.subject_id, now=now)
        await audit.record(session, actor, "PUBLISH_SLOT", target_type="appointment_slot", target_id=slot.slot_id,
                           at=now, detail={"starts_at": slot.starts_at.isoformat(), "capacity": slot.capacity})
        return SlotView(slot, await _cutoff(ctx, session, point_code), now)


async def set_cutoff(ctx: ServiceContext, actor: Actor, point_code: str, hours: int) -> int:
    require_point_staff_of(actor, point_code)
    rules.check_cutoff_hours(hours)
    async with ctx.transaction() as session:
        if await ref.get_point(session, point_code) is None:
            raise NotFound("POINT_NOT_FOUND", "找不到该确认点", "No such confirmation point")
        await repo.set_cutoff_hours(session, point_code, hours)
        await audit.record(session, actor, "SET_SLOT_CUTOFF", target_type="confirmation_point",
                           target_id=point_code, at=ctx.now(), detail={"cutoff_hours": hours})
    return hours


def _ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


async def cancel(ctx: ServiceContext, actor: Actor, slot_id: str, reason: str) -> tuple[SlotView, int]:
    """R-SLOT-3: the slot closes; everyone booked on it is told and asked to re-book."""
    require_role(actor, Role.POINT_STAFF)
    cleaned = rules.check_reason(reason)
    now = ctx.now()
    async with ctx.transaction() as session:
        slot = await repo.get_slot(session, slot_id.strip())
        if slot is None or slot.point_code != actor.organisation_code:
            raise NotFound("SLOT_NOT_FOUND", "找不到该时段", "No such slot")
        if not await repo.cancel_slot(session, slot.slot_id, reason=cleaned, now=now):
            raise RuleViolation("R-SLOT-3", "该时段已取消", "This slot is already cancelled")
        bookings = await repo.bookings_on(session, [slot.slot_id])
        applications = await repo.applications_of(session, bookings)
        found = await ref.get_point(session, slot.point_code)
        point = found[0] if found else None
        start, end = slot.local_times()
        for b in bookings:
            row = applications.get((b.applicant_id, b.plan_id))
            event = events_pb2.AppointmentSlotCancelled(
                slot_id=slot.slot_id, applicant_id=b.applicant_id, application_id=row.id if row else "",
                application_number=row.application_number if row else "", point_code=slot.point_code,
                point_name=point.name if point else "", point_address=point.address if point else "",
                slot_date=slot.local_date(), slot_start_time=start, slot_end_time=end,
                starts_at=_ts(slot.starts_at), reason=cleaned, cancelled_at=_ts(now),
            )
            await ctx.events.stage(session, event, aggregate_id=row.id if row else f"slot:{slot.slot_id}")
        await audit.record(session, actor, "CANCEL_SLOT", target_type="appointment_slot", target_id=slot.slot_id,
                           at=now, detail={"reason": cleaned, "told": len(bookings)})
        cancelled = Slot(slot.slot_id, slot.point_code, slot.starts_at, slot.ends_at, slot.capacity, slot.booked,
                         SlotStatus.CANCELLED, cleaned)
        return SlotView(cancelled, await _cutoff(ctx, session, slot.point_code), now), len(bookings)


# --- booking -------------------------------------------------------------------------------------

async def _book(ctx: ServiceContext, session: AsyncSession, *, applicant_id: str, applicant_name: str,
                plan_id: str, point_code: str, slot_id: str) -> None:
    """Hold one place of ``slot_id`` for the account in the plan, giving back the place it held."""
    now = ctx.now()
    slot = await repo.get_slot(session, slot_id.strip()) if slot_id.strip() else None
    if slot is None or slot.point_code != point_code:
        raise InvalidInput([FieldProblem("slot_id", "R-SLOT-1", "请选择所选确认点的一个时段",
                                         "Choose one of the chosen point's slots")])
    hours = await _cutoff(ctx, session, point_code)
    current = await repo.booking_of(session, applicant_id, plan_id, lock=True)
    if current is not None and current.slot_id == slot.slot_id and slot.status is SlotStatus.OPEN:
        return  # the same slot again: nothing changes
    if current is not None:
        held = await repo.get_slot(session, current.slot_id)
        if held is not None and held.status is SlotStatus.OPEN and held.point_code == point_code:
            if not held.before_cutoff(now, hours):
                raise rules.booking_locked(held.cutoff_at(hours))
    # Both counters in the order of their ids, so that two people swapping slots never deadlock.
    for touched in sorted({slot.slot_id, current.slot_id if current else slot.slot_id}):
        if touched == slot.slot_id:
            if not await repo.take_place(session, slot.slot_id, bookable_after=now + _hours(hours)):
                fresh = await repo.get_slot(session, slot.slot_id)
                full = fresh is not None and fresh.status is SlotStatus.OPEN and fresh.before_cutoff(now, hours)
                raise rules.slot_full() if full else rules.slot_not_bookable()
        elif current is not None:
            await repo.give_place_back(session, current.slot_id)
    await repo.put_booking(session, Booking(applicant_id, plan_id, slot.slot_id, applicant_name, now),
                           replacing=current is not None)


def _hours(hours: int) -> timedelta:
    return timedelta(hours=hours)


async def release(session: AsyncSession, applicant_id: str, plan_id: str) -> bool:
    """The applicant's place in the plan goes back; False when there was none (any more)."""
    current = await repo.booking_of(session, applicant_id, plan_id, lock=True)
    if current is None:
        return False
    await repo.give_place_back(session, current.slot_id)
    await repo.remove_booking(session, applicant_id, plan_id)
    return True


def _already_changed() -> Conflict:
    return Conflict("BOOKING_CHANGED", "预约刚在另一个页面中被修改，请刷新页面后再试",
                    "The booking was just changed in another window; reload the page and try again")


async def sync_draft_booking(ctx: ServiceContext, *, applicant_id: str, applicant_name: str, plan_id: str,
                             point_code: str, slot_id: str) -> None:
    """Wizard step 5 (R-SLOT-1): the chosen point publishes slots → one of them must be booked;
    it publishes none → a booking held at another point of the plan is given back."""
    now = ctx.now()
    try:
        async with ctx.transaction() as session:
            t = orm.plan_points
            in_plan = await session.scalar(select(t.c.point_code).where(t.c.plan_id == plan_id,
                                                                        t.c.point_code == point_code))
            if in_plan is None:
                return  # not a point of the plan: the wizard refuses it (R-WIZ-5)
            current = await repo.booking_of(session, applicant_id, plan_id)
            held = await repo.get_slot(session, current.slot_id) if current else None
            if held is not None and held.point_code != point_code:
                await release(session, applicant_id, plan_id)
                held = None
            await release_unkept(session, applicant_id, keep_plan=plan_id)
            if not slot_id.strip():
                if held is not None and held.status is SlotStatus.OPEN:
                    return  # the booking made earlier at this point stays
                if not await repo.has_open_slots(session, point_code, now):
                    return  # the point takes no appointments
                hours = await _cutoff(ctx, session, point_code)
                left = await repo.slots_of(session, [point_code], since=now)
                if not any(s.bookable(now, hours) for s in left):
                    raise rules.none_left()
                raise rules.slot_required()
            await _book(ctx, session, applicant_id=applicant_id, applicant_name=applicant_name, plan_id=plan_id,
                        point_code=point_code, slot_id=slot_id)
    except IntegrityError as exc:
        raise _already_changed() from exc


async def release_unkept(session: AsyncSession, applicant_id: str, *, keep_plan: str | None = None) -> None:
    """The applicant's bookings that no application keeps (made by a draft: in another plan when
    the applicant changed the authority, in any plan when the draft is discarded), but the one in
    ``keep_plan``: their places go back (R-SLOT-1)."""
    for other in await repo.bookings_of_applicant(session, applicant_id):
        if other.plan_id == keep_plan:
            continue
        if not await session.scalar(select(repo.kept_by_an_application(applicant_id, other.plan_id))):
            await release(session, applicant_id, other.plan_id)


async def release_abandoned_bookings(ctx: ServiceContext, now: datetime) -> int:
    """Scheduled (R-SLOT-1): places held by drafts that can no longer be submitted in their plan
    (its online window closed, or the applicant moved to another authority and left the draft
    there) go back, so that others can book them. Each booking is checked again and released in
    a transaction of its own; returns how many."""
    released = 0
    while True:
        async with ctx.reading() as session:
            found = (await session.execute(repo.abandoned_bookings(now, limit=ABANDONED_BATCH))).all()
        for applicant_id, plan_id in found:
            async with ctx.transaction() as session:
                still = (await session.execute(repo.abandoned_bookings(
                    now, applicant_id=applicant_id, plan_id=plan_id))).first()
                if still is not None and await release(session, applicant_id, plan_id):
                    released += 1
        if len(found) < ABANDONED_BATCH:
            return released


async def book_for_application(ctx: ServiceContext, actor: Actor, application_id: str, slot_id: str) -> BookingView:
    """R-SLOT-2: from the portal, until the cut-off of the booked slot (or after the point cancelled it)."""
    from tqr_application.service_layer.applicant import load_own

    try:
        async with ctx.transaction() as session:
            record = await load_own(ctx, session, actor, application_id.strip())
            if record.status not in REBOOKABLE_STATUSES:
                raise RuleViolation("R-SLOT-2", "申请当前状态下不能预约或改约现场确认时段",
                                    "The application's status does not allow booking a slot now")
            await _book(ctx, session, applicant_id=actor.subject_id, applicant_name=record.applicant_name,
                        plan_id=record.plan_id, point_code=record.point_code, slot_id=slot_id)
            found = await booking_view(ctx, session, actor.subject_id, record.plan_id)
    except IntegrityError as exc:
        raise _already_changed() from exc
    assert found is not None
    return found
