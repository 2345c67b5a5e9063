"""Confirmation appointment slots (R-SLOT-1..3): what a slot is, when it may be booked, and the
checks of what point staff type when they publish one. No I/O here.

Dates and times are what people read at the point: Asia/Shanghai (a fixed offset, no daylight
saving); instants are stored in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from servicekit.errors import FieldProblem, InvalidInput, RuleViolation

from tqr_application.domain.edits import BEIJING

# R-SLOT-2: booking and re-booking a slot end this many hours before it starts, unless the point set
# its own cut-off (SetSlotCutoff).
DEFAULT_CUTOFF_HOURS = 24
MAX_CAPACITY = 500
MAX_CUTOFF_HOURS = 14 * 24
MAX_REASON_LENGTH = 500
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class SlotStatus(StrEnum):
    OPEN = "OPEN"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Slot:
    slot_id: str
    point_code: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int
    status: SlotStatus
    cancel_reason: str = ""

    def cutoff_at(self, cutoff_hours: int) -> datetime:
        """R-SLOT-2: booking onto this slot, and moving away from it, end then."""
        return self.starts_at - timedelta(hours=cutoff_hours)

    def before_cutoff(self, now: datetime, cutoff_hours: int) -> bool:
        return now < self.cutoff_at(cutoff_hours)

    def bookable(self, now: datetime, cutoff_hours: int) -> bool:
        return self.status is SlotStatus.OPEN and self.booked < self.capacity and self.before_cutoff(now, cutoff_hours)

    def local_date(self) -> str:
        return self.starts_at.astimezone(BEIJING).date().isoformat()

    def local_times(self) -> tuple[str, str]:
        local = (self.starts_at.astimezone(BEIJING), self.ends_at.astimezone(BEIJING))
        return local[0].strftime("%H:%M"), local[1].strftime("%H:%M")


@dataclass(frozen=True)
class SlotInput:
    """A slot as point staff publish it, checked."""

    starts_at: datetime
    ends_at: datetime
    capacity: int


def local_day(day: str) -> tuple[datetime, datetime]:
    """The instants a day in Asia/Shanghai begins and ends (``YYYY-MM-DD``), or InvalidInput."""
    try:
        parsed = date.fromisoformat(day.strip())
    except ValueError as exc:
        raise InvalidInput([FieldProblem("date", "INVALID_DATE", "请按“年-月-日”填写日期，例如 2027-03-01",
                                         "Enter the date as year-month-day, for example 2027-03-01")]) from exc
    start = datetime.combine(parsed, time(0, 0), tzinfo=BEIJING)
    return start, start + timedelta(days=1)


def parse_slot(day: str, start_time: str, end_time: str, capacity: int, now: datetime) -> SlotInput:
    """Check every field at once; all problems are reported together."""
    problems: list[FieldProblem] = []
    parsed_day: date | None = None
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        problems.append(FieldProblem("date", "INVALID_DATE", "请按“年-月-日”填写日期，例如 2027-03-01",
                                     "Enter the date as year-month-day, for example 2027-03-01"))
    times: dict[str, time] = {}
    for name, typed in (("start_time", start_time), ("end_time", end_time)):
        found = _TIME.match(typed.strip())
        if found is None:
            problems.append(FieldProblem(name, "INVALID_TIME", "请按 24 小时制填写时间，例如 09:00",
                                         "Enter the time on the 24-hour clock, for example 09:00"))
        else:
            times[name] = time(int(found.group(1)), int(found.group(2)))
    if len(times) == 2 and times["end_time"] <= times["start_time"]:
        problems.append(FieldProblem("end_time", "R-SLOT-1", "结束时间应晚于开始时间",
                                     "The end time must be after the start time"))
    if not 1 <= capacity <= MAX_CAPACITY:
        problems.append(FieldProblem("capacity", "R-SLOT-1", f"请填写可预约人数，1 至 {MAX_CAPACITY} 人",
                                     f"Enter how many people the slot takes, 1 to {MAX_CAPACITY}"))
    if problems or parsed_day is None:
        raise InvalidInput(problems)
    starts = datetime.combine(parsed_day, times["start_time"], tzinfo=BEIJING)
    ends = datetime.combine(parsed_day, times["end_time"], tzinfo=BEIJING)
    if starts <= now:
        raise InvalidInput([FieldProblem("date", "R-SLOT-1", "只能发布尚未开始的时段",
                                         "Only a slot that has not started yet can be published")])
    return SlotInput(starts, ends, capacity)


def check_cutoff_hours(hours: int) -> int:
    if not 0 <= hours <= MAX_CUTOFF_HOURS:
        raise InvalidInput([FieldProblem("cutoff_hours", "R-SLOT-2",
                                         f"截止时间应为时段开始前 0 至 {MAX_CUTOFF_HOURS} 小时",
                                         f"The cut-off must be 0 to {MAX_CUTOFF_HOURS} hours before the slot")])
    return hours


def check_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > MAX_REASON_LENGTH:
        raise InvalidInput([FieldProblem("reason", "R-SLOT-3",
                                         f"请填写取消原因（不超过 {MAX_REASON_LENGTH} 字），预约的申请人会看到",
                                         f"Give the reason for cancelling (at most {MAX_REASON_LENGTH} characters); "
                                         "the people booked will read it")])
    return cleaned


def slot_required() -> InvalidInput:
    return InvalidInput([FieldProblem("slot_id", "R-SLOT-1", "该确认点需要预约，请选择一个现场确认时段",
                                      "This point takes appointments: choose a time slot")])


def slot_full() -> RuleViolation:
    return RuleViolation("R-SLOT-1", "该时段已约满，请选择其他时段",
                         "This slot is fully booked; choose another one")


def slot_not_bookable() -> RuleViolation:
    return RuleViolation("R-SLOT-2", "该时段已过预约截止时间或已取消，请选择其他时段",
                         "Booking for this slot has closed or it was cancelled; choose another one")


def booking_locked(cutoff_at: datetime) -> RuleViolation:
    local = cutoff_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    return RuleViolation("R-SLOT-2", f"已过预约截止时间（{local}），不能再改约",
                         f"Re-booking closed at {local} (Beijing time); the booking can no longer change")


def none_left() -> RuleViolation:
    return RuleViolation("R-SLOT-1", "该确认点的预约时段都已约满或已截止，请选择其他确认点",
                         "Every slot of this point is full or closed; choose another point")
