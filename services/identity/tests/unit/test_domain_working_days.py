"""Working-day deadlines; R-ID-9 manual review is decided within 7 working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from tqr_identity.domain.working_days import (
    MANUAL_REVIEW_WORKING_DAYS,
    WorkingCalendar,
    add_working_days,
    china_date,
    manual_review_due_date,
)

MONDAY = date(2026, 3, 2)


def test_weekends_are_skipped() -> None:
    assert MONDAY.weekday() == 0
    assert add_working_days(MONDAY, 4) == date(2026, 3, 6)  # Friday
    assert add_working_days(MONDAY, 5) == date(2026, 3, 9)  # next Monday
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday
    assert add_working_days(MONDAY, 0) == MONDAY


def test_holidays_are_skipped_and_make_up_days_count() -> None:
    calendar = WorkingCalendar.from_config("2026-03-04, 2026-03-05", "2026-03-07")
    # Tue 3 (1), Fri 6 (2), make-up Sat 7 (3), Mon 9 (4)
    assert add_working_days(MONDAY, 4, calendar) == date(2026, 3, 9)
    assert not calendar.is_working_day(date(2026, 3, 4))
    assert calendar.is_working_day(date(2026, 3, 7))


def test_calendar_refuses_a_date_in_both_sets() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar.from_config("2026-03-07", "2026-03-07")


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(MONDAY, -1)


def test_r_id_9_manual_review_due_in_seven_working_days() -> None:
    assert MANUAL_REVIEW_WORKING_DAYS == 7
    submitted = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in China
    # Tue 3, Wed 4, Thu 5, Fri 6, Mon 9, Tue 10, Wed 11
    assert manual_review_due_date(submitted) == date(2026, 3, 11)


def test_r_id_9_manual_review_due_date_respects_public_holidays() -> None:
    # National Day 2026-10-01..07 with make-up working days Sun 09-27 and Sat 10-10 (illustrative).
    calendar = WorkingCalendar.from_config(
        ",".join(f"2026-10-0{d}" for d in range(1, 8)), "2026-09-27,2026-10-10"
    )
    submitted = datetime(2026, 9, 28, 1, 0, tzinfo=UTC)  # Monday in China
    # Tue 29 (1), Wed 30 (2), Thu 8 (3), Fri 9 (4), Sat 10 make-up (5), Mon 12 (6), Tue 13 (7)
    assert manual_review_due_date(submitted, calendar) == date(2026, 10, 13)


def test_r_id_9_the_day_is_counted_in_china_time() -> None:
    late_sunday_utc = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # already Monday 01:00 in China
    assert china_date(late_sunday_utc) == MONDAY
    assert manual_review_due_date(late_sunday_utc) == date(2026, 3, 11)
    with pytest.raises(ValueError):
        china_date(datetime(2026, 3, 1, 17, 0))
