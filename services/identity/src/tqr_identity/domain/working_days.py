"""Working-day arithmetic for deadlines promised to people (R-ID-9 manual review: 7 working days).

China moves working days around public holidays: some weekdays are holidays and some weekends are
make-up working days (调休). Both sets come from configuration, year by year; without them only
weekends are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8))
SATURDAY = 5
# R-ID-9: a reviewer decides on a manual review (人工审核) within 7 working days.
MANUAL_REVIEW_WORKING_DAYS = 7
MANUAL_REVIEW_RULE = "R-ID-9"


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        clash = self.holidays & self.makeup_working_days
        if clash:
            raise ValueError(f"dates both holiday and make-up working day: {sorted(clash)}")

    @classmethod
    def from_config(cls, holidays: str = "", makeup_working_days: str = "") -> WorkingCalendar:
        """From comma-separated ISO dates, e.g. ``"2026-10-01,2026-10-02"``."""
        return cls(frozenset(parse_date_list(holidays)), frozenset(parse_date_list(makeup_working_days)))

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < SATURDAY


def parse_date_list(text: str) -> list[date]:
    """ISO dates separated by commas or whitespace; empty text gives no dates."""
    items = text.replace(",", " ").split()
    return [date.fromisoformat(item) for item in items]


def add_working_days(start: date, days: int, calendar: WorkingCalendar | None = None) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    cal = calendar or WorkingCalendar()
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if cal.is_working_day(current):
            remaining -= 1
    return current


def china_date(instant: datetime) -> date:
    """The calendar date in China of an aware instant (a request at 23:30 UTC is the next day)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(CHINA_TZ).date()


def manual_review_due_date(submitted_at: datetime, calendar: WorkingCalendar | None = None) -> date:
    """R-ID-9: the date by which a manual review is decided, shown to the applicant."""
    return add_working_days(china_date(submitted_at), MANUAL_REVIEW_WORKING_DAYS, calendar)
