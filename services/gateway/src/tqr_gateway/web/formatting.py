"""Dates in China's time zone and masks for personal numbers, for pages.

Instants are stored as aware UTC datetimes; people read them in Asia/Shanghai. Document and phone
numbers are personal data and are shown masked unless a page truly needs them in full, by the one
rule of every service (``servicekit.masking``): a number a service masked and one a page masks look
the same.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from servicekit.masking import mask_document_number, mask_email, mask_mobile
from servicekit.text import normalise_number

CHINA_TZ: Final = ZoneInfo("Asia/Shanghai")
_EN_MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August",
                     "September", "October", "November", "December")


def _local_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        return value.astimezone(CHINA_TZ).date()
    return value


def format_date(value: date | datetime | None, lang: str) -> str:
    """``2026年3月1日`` / ``1 March 2026``; a datetime is first moved to Asia/Shanghai."""
    if value is None:
        return ""
    day = _local_date(value)
    if lang == "en":
        return f"{day.day} {_EN_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def format_datetime(value: datetime | None, lang: str) -> str:
    """``2026年3月1日 09:05`` / ``1 March 2026, 09:05`` in Asia/Shanghai (24-hour clock)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    local = value.astimezone(CHINA_TZ)
    separator = ", " if lang == "en" else " "
    return f"{format_date(local, lang)}{separator}{local:%H:%M}"


def mask_personal(value: object, kind: str = "auto") -> str:
    """The template filter ``mask``: ``kind`` is ``document``, ``phone``, ``email`` or ``auto``
    (an ``@`` means email, 11 digits starting with 1 mean a mobile, anything else a document)."""
    if value is None:
        return ""
    text = str(value).strip()
    if kind == "auto":
        number = normalise_number(text)  # a mobile typed full width or grouped is still a mobile
        if "@" in text:
            kind = "email"
        elif len(number) == 11 and number.isdigit() and number.startswith("1"):
            kind = "phone"
        else:
            kind = "document"
    if kind == "email":
        return mask_email(text)
    if kind == "phone":
        return mask_mobile(text)
    return mask_document_number(text)


def paragraphs(text: str) -> list[list[str]]:
    """A message's paragraphs (split at blank lines), each as its lines, so a page keeps the breaks
    the writer made without marking up what they wrote."""
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return [[line.rstrip() for line in block.split("\n")] for block in blocks if block.strip()]
