"""Dates in China's time zone and masks for personal numbers, for pages.

Instants are stored as aware UTC datetimes; people read them in Asia/Shanghai. Document and phone
numbers are personal data and are shown masked unless a page truly needs them in full.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

CHINA_TZ: Final = ZoneInfo("Asia/Shanghai")
MASK: Final = "*"
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


def mask_document_number(number: str) -> str:
    """First 4 and last 4 characters kept (``1101**********002X``); short numbers keep a quarter
    at each end so that at least half is always hidden. Same shape as the identity service."""
    clean = "".join(number.split())
    keep = 4 if len(clean) >= 12 else len(clean) // 4
    if keep == 0:
        return MASK * len(clean)
    return clean[:keep] + MASK * (len(clean) - 2 * keep) + clean[-keep:]


def mask_phone(phone: str) -> str:
    """``138****5678``."""
    clean = "".join(phone.split())
    if len(clean) < 11:
        return mask_document_number(clean)
    return clean[:3] + MASK * (len(clean) - 7) + clean[-4:]


def mask_email(email: str) -> str:
    """``z***@example.com``: the first character of the local part and the domain stay."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_document_number(email)
    return (local[:1] + MASK * 3 if local else MASK * 3) + "@" + domain


def mask_personal(value: object, kind: str = "auto") -> str:
    """The template filter ``mask``: ``kind`` is ``document``, ``phone``, ``email`` or ``auto``
    (an ``@`` means email, 11 digits starting with 1 mean a mobile, anything else a document)."""
    if value is None:
        return ""
    text = str(value).strip()
    if kind == "auto":
        if "@" in text:
            kind = "email"
        elif len(text) == 11 and text.isdigit() and text.startswith("1"):
            kind = "phone"
        else:
            kind = "document"
    if kind == "email":
        return mask_email(text)
    if kind == "phone":
        return mask_phone(text)
    return mask_document_number(text)
