"""R-APP-9: what happens as windows close, as two scheduled jobs (``servicekit.scheduler``).

- ``expire_unconfirmed``: once a point's confirmation window has ended, every application of that
  point in the plan still waiting to be confirmed on site (the statuses ``EXPIRE_UNCONFIRMED`` is
  taken from in the transition table: SUBMITTED, MATERIALS_INCOMPLETE) becomes 逾期未确认, through
  the aggregate like any status change: a history line by the system and an
  ``ApplicationStatusChanged`` event, from which notification tells the applicant.
- ``send_reminders``: ``reminder_days_before_close`` days before a plan's online window closes,
  applicants whose draft in that plan is not submitted; and before a point's confirmation window
  closes, applicants whose application there is not yet confirmed; each gets one
  ``DeadlineReminder`` per window, recorded in ``deadline_reminders`` with the event.

Both are idempotent by themselves (a second run finds nothing left to do), so a lease that ran out
under a slow run cannot make anything happen twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from servicekit.errors import Conflict
from sqlalchemy import ColumnElement, Select, and_, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from tqr.application.v1 import events_pb2, status_pb2

from tqr_application.adapters import application_repository as repo
from tqr_application.adapters import orm
from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.roles import SYSTEM_ACTOR
from tqr_application.domain.status import StatusAction, from_statuses
from tqr_application.service_layer import workflow
from tqr_application.service_layer.context import ServiceContext

log = logging.getLogger(__name__)
BATCH = 200
# The statuses in which an application still waits to be confirmed on site (from the table).
UNCONFIRMED = tuple(s.value for s in from_statuses(StatusAction.EXPIRE_UNCONFIRMED))


def _ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


# --- 逾期未确认 ---------------------------------------------------------------------------------------


async def expire_unconfirmed(ctx: ServiceContext, now: datetime) -> int:
    """Close every unconfirmed application whose point's confirmation window ended before ``now``;
    returns how many. Each application is its own unit of work (a conflicting staff action wins and
    the application is looked at again on the next run)."""
    a, pp = orm.applications, orm.plan_points
    overdue = (
        select(a.c.id)
        .join(pp, and_(pp.c.plan_id == a.c.plan_id, pp.c.point_code == a.c.point_code))
        .where(pp.c.confirm_end < now, a.c.status.in_(UNCONFIRMED))
        .order_by(a.c.id)
        .limit(BATCH)
    )
    closed, skipped = 0, set[str]()
    while True:
        async with ctx.reading() as session:
            ids = [i for i in (await session.scalars(overdue.where(a.c.id.notin_(skipped)) if skipped else overdue))]
        if not ids:
            return closed
        for application_id in ids:
            if await _expire_one(ctx, application_id, now):
                closed += 1
            else:
                skipped.add(application_id)


async def _expire_one(ctx: ServiceContext, application_id: str, now: datetime) -> bool:
    try:
        async with ctx.transaction() as session:
            app = await repo.get(session, ctx.cipher, application_id)
            if app is None or app.status.value not in UNCONFIRMED:
                return False  # a staff member acted on it since it was listed
            app.apply(StatusAction.EXPIRE_UNCONFIRMED, SYSTEM_ACTOR, now)
            await workflow.store(ctx, session, app)
    except Conflict:
        return False
    log.info("application overdue, not confirmed in time (R-APP-9)", extra={"application_id": application_id})
    return True


# --- reminders --------------------------------------------------------------------------------------


async def send_reminders(ctx: ServiceContext, now: datetime) -> int:
    """Remind everyone due a reminder of a window closing within the lead time; returns how many."""
    lead = timedelta(days=ctx.settings.reminder_days_before_close)
    p, pp = orm.plans, orm.plan_points
    sent = 0
    async with ctx.reading() as session:
        online = (await session.execute(
            select(p.c.id, p.c.authority_code, p.c.online_end)
            .where(p.c.online_end >= now, p.c.online_end <= now + lead))).all()
        confirmation = (await session.execute(
            select(pp.c.plan_id, pp.c.point_code, pp.c.confirm_end, p.c.authority_code)
            .join(p, p.c.id == pp.c.plan_id)
            .where(pp.c.confirm_end >= now, pp.c.confirm_end <= now + lead))).all()
    for plan in online:
        sent += await _remind_drafts(ctx, plan.id, plan.authority_code, plan.online_end, now)
    for window in confirmation:
        sent += await _remind_unconfirmed(ctx, window.plan_id, window.point_code, window.authority_code,
                                          window.confirm_end, now)
    return sent


def _not_reminded(window: str, applicant_id: ColumnElement[str]) -> ColumnElement[bool]:
    r = orm.deadline_reminders
    return ~exists().where(r.c.window == window, r.c.applicant_id == applicant_id)


def open_drafts_to_remind(plan_id: str, window: str, after: str = "") -> Select[tuple[str]]:
    """The next batch of applicants whose draft in ``plan_id`` is open and not yet reminded, after
    ``after`` in applicant order (each batch starts where the last ended): an index range of the
    plan's open drafts (``ix_drafts_open_plan``), not a read of every draft.

    The draft itself is checked too, for those rows only: while a release that predates the column
    rolls out, its pods save drafts without touching it, so a draft submitted (or moved to another
    authority) there still carries the plan it had."""
    d = orm.drafts
    return (
        select(d.c.applicant_id)
        .where(d.c.open_plan_id == plan_id, d.c.applicant_id > after,
               d.c.data[("draft", "authority", "plan_id")].as_string() == plan_id,
               d.c.data[("draft", "submission")].as_string().is_(None),
               _not_reminded(window, d.c.applicant_id))
        .order_by(d.c.applicant_id)
        .limit(BATCH)
    )


async def _remind_drafts(ctx: ServiceContext, plan_id: str, authority_code: str, closes_at: datetime,
                         now: datetime) -> int:
    window = f"online:{plan_id}"
    sent, after = 0, ""
    while True:
        async with ctx.transaction() as session:
            applicants = list(await session.scalars(open_drafts_to_remind(plan_id, window, after)))
            authority = await ref.get_authority(session, authority_code)
            for applicant_id in applicants:
                await _record(ctx, session, window, events_pb2.DeadlineReminder(
                    applicant_id=applicant_id, window=events_pb2.REMINDER_WINDOW_ONLINE,
                    authority_name=authority.name if authority else "", closes_at=_ts(closes_at),
                    reminded_at=_ts(now)), now)
        sent += len(applicants)
        if len(applicants) < BATCH:
            return sent
        after = applicants[-1]


async def _remind_unconfirmed(ctx: ServiceContext, plan_id: str, point_code: str, authority_code: str,
                              closes_at: datetime, now: datetime) -> int:
    a = orm.applications
    window = f"confirmation:{plan_id}:{point_code}"
    pending = (
        select(a.c.id, a.c.applicant_id, a.c.application_number, a.c.status)
        .where(a.c.plan_id == plan_id, a.c.point_code == point_code, a.c.status.in_(UNCONFIRMED),
               _not_reminded(window, a.c.applicant_id))
        .order_by(a.c.id)
        .limit(BATCH)
    )
    sent = 0
    while True:
        async with ctx.transaction() as session:
            rows = (await session.execute(pending)).all()
            authority = await ref.get_authority(session, authority_code)
            point = await ref.get_point(session, point_code)
            reminded: set[str] = set()
            for row in rows:
                if row.applicant_id in reminded:
                    continue  # two live applications at one point: one reminder
                reminded.add(row.applicant_id)
                await _record(ctx, session, window, events_pb2.DeadlineReminder(
                    applicant_id=row.applicant_id, window=events_pb2.REMINDER_WINDOW_CONFIRMATION,
                    application_id=row.id, application_number=row.application_number,
                    status=status_pb2.ApplicationStatus.Value(row.status),
                    authority_name=authority.name if authority else "",
                    point_name=point[0].name if point else "", point_address=point[0].address if point else "",
                    closes_at=_ts(closes_at), reminded_at=_ts(now)), now)
        sent += len(reminded)
        if len(rows) < BATCH:
            return sent


async def _record(ctx: ServiceContext, session: AsyncSession, window: str, reminder: events_pb2.DeadlineReminder,
                  now: datetime) -> None:
    """The reminder's row and its event, in one transaction: recorded means sent."""
    await session.execute(insert(orm.deadline_reminders).values(
        window=window, applicant_id=reminder.applicant_id, application_id=reminder.application_id, sent_at=now))
    await ctx.events.stage(session, reminder, aggregate_id=reminder.application_id or reminder.applicant_id)
