"""Reading an audit log (R-STAFF-9): what every service that writes one shares when it serves it.

- The keyset cursor: a row's position (time, id) in the newest-first order, opaque to callers. A
  page continues strictly after its cursor, so rows written meanwhile never shift a page.
- The row's detail as one line of text with personal data masked (``servicekit.masking``): free
  text a member of staff typed (a reason, a note) may hold a document number, a mobile number or
  an e-mail address, and the viewer and its export show only their masked forms.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import MASK_CHAR, mask_document_number, mask_email, mask_mobile

RULE: Final = "R-STAFF-9"
DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200

@dataclass(frozen=True)
class AuditQuery:
    """One search of a service's audit log, as the service layer takes it (the wire's
    ``tqr.common.v1.AuditQuery`` with its times read)."""

    target: str = ""
    staff_id: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page_size: int = 0
    page_token: str = ""


_EMAIL = re.compile(r"[^\s@;:,，；：]+@[^\s@;:,，；：]+\.[^\s@;:,，；：]{2,}")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")
# A run of letters and digits long enough to be a document number and mostly digits.
_NUMBER = re.compile(r"(?<![0-9A-Za-z*])[0-9A-Za-z]{6,20}(?![0-9A-Za-z*])")
_MIN_DIGITS_IN_A_NUMBER: Final = 5


def page_size(requested: int) -> int:
    return DEFAULT_PAGE_SIZE if requested <= 0 else min(requested, MAX_PAGE_SIZE)


def encode_cursor(at: datetime, row_id: int | str) -> str:
    raw = f"{at.astimezone(UTC).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def bad_cursor() -> InvalidInput:
    return InvalidInput([FieldProblem("page_token", RULE, "翻页参数无效，请从第一页重新查询",
                                      "The page link is not valid; search again from the first page")])


def decode_cursor(token: str) -> tuple[datetime, str]:
    """(time, row id as text); InvalidInput for anything a cursor never looks like."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        at_text, sep, row_id = raw.partition("|")
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_cursor() from None
    if not sep or not row_id or at.tzinfo is None:
        raise bad_cursor()
    return at, row_id


def instant_of(stamp: Any, present: bool, field: str) -> datetime | None:
    """A query's ``google.protobuf.Timestamp`` as an aware datetime; None when unset; InvalidInput
    for one outside the calendar (a malformed request, not a fault)."""
    if not present:
        return None
    try:
        return stamp.ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]
    except (ValueError, OverflowError, OSError):
        raise InvalidInput([FieldProblem(field, RULE, "时间无效", "Not a valid time")]) from None


def check_range(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise InvalidInput([FieldProblem("until", RULE, "结束时间须晚于开始时间",
                                         "The end must come after the start")])


def _mask_number(match: re.Match[str]) -> str:
    found = match.group(0)
    if sum(ch.isdigit() for ch in found) < _MIN_DIGITS_IN_A_NUMBER:
        return found
    return mask_document_number(found)


def mask_free_text(value: str) -> str:
    """Text someone typed, with e-mail addresses, mobile and document numbers masked."""
    masked = _EMAIL.sub(lambda m: mask_email(m.group(0)), value)
    masked = _MOBILE.sub(lambda m: mask_mobile(m.group(0)), masked)
    return _NUMBER.sub(_mask_number, masked)


def _value_text(value: Any, *, kept: bool) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v, kept=kept) for v in value)
    if isinstance(value, Mapping):
        return "{" + detail_text(value, kept_keys=frozenset(value) if kept else frozenset()) + "}"
    text = "" if value is None else str(value)
    if kept or MASK_CHAR in text:
        return text
    return mask_free_text(text)


def detail_text(detail: Mapping[str, Any], *, kept_keys: frozenset[str] = frozenset()) -> str:
    """``{"from": "SUBMITTED", "reason": "…"}`` → ``from: SUBMITTED; reason: …``. Values under
    ``kept_keys`` are the service's own codes and ids, shown as they are; every other value is masked
    as free text."""
    parts = []
    for key in sorted(detail):
        value = detail[key]
        if value in (None, "", [], {}):
            continue
        parts.append(f"{key}: {_value_text(value, kept=key in kept_keys)}")
    return "; ".join(parts)
