"""Dates read in Asia/Shanghai and masks for personal numbers."""

from datetime import UTC, date, datetime

import pytest
from tqr_gateway.web.formatting import format_date, format_datetime, mask_personal


def test_dates_are_shown_in_china_time() -> None:
    late_utc = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 April in Beijing
    assert format_date(late_utc, "zh") == "2026年4月1日"
    assert format_date(late_utc, "en") == "1 April 2026"
    assert format_datetime(late_utc, "zh") == "2026年4月1日 00:30"
    assert format_datetime(late_utc, "en") == "1 April 2026, 00:30"
    assert format_date(date(2026, 12, 9), "zh") == "2026年12月9日"
    assert format_date(None, "zh") == ""


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        format_date(datetime(2026, 1, 1, 12, 0), "zh")


@pytest.mark.parametrize(("value", "kind", "masked"), [
    ("13812345678", "auto", "138****5678"),
    ("11010519491231002X", "auto", "1101**********002X"),
    ("H12345678", "auto", "H1*****78"),
    ("H1234567", "auto", "H*****67"),  # an 8-character permit keeps 3, as the services mask it
    ("１３８ １２３４ ５６７８", "auto", "138****5678"),  # typed full width and grouped: still a mobile
    ("zhang.san@example.com", "auto", "z***@example.com"),
    ("13812345678", "document", "13*******78"),
])
def test_masks_hide_the_middle(value: str, kind: str, masked: str) -> None:
    assert mask_personal(value, kind) == masked


def test_masked_value_never_contains_the_full_number() -> None:
    number = "11010519491231002X"
    assert number not in mask_personal(number)
    assert mask_personal(None) == ""
