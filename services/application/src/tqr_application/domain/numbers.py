"""The application number (报名号).

Layout, 18 digits: ``YYYY AAAAAA NNNNNN CC``

- ``YYYY``   year of submission (Beijing time)
- ``AAAAAA`` the registration authority's six-digit code (usually its GB/T 2260 region code)
- ``NNNNNN`` a sequence per (year, authority), starting at 1
- ``CC``     ISO 7064 MOD 97-10 check digits (as in IBAN): every single-digit mistake and every
             swap of two neighbouring digits is caught before a lookup

Why this shape: staff read the authority and year straight off the number; the sequence comes
from a per-(year, authority) counter row that the database increments atomically
(``UPDATE … SET last = last + 1 … RETURNING last``), so two submissions can never get the same
number and no lock is held across the request. 18 digits starting with "20" cannot be confused
with an 18-character ID card number (no province code starts with 20) nor with a 17-digit
certificate number, so one staff search box can tell them apart (``looks_like_application_number``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from servicekit import text

MAX_SEQUENCE = 999_999
LENGTH = 18
_SHAPE = re.compile(r"^[0-9]{18}$")


@dataclass(frozen=True)
class ApplicationNumber:
    year: int
    authority_code: str
    sequence: int

    def __str__(self) -> str:
        return format(self.year, self.authority_code, self.sequence)


def check_digits(body: str) -> str:
    """ISO 7064 MOD 97-10 check digits for a string of digits."""
    if not body.isdigit():
        raise ValueError("check digits are computed over digits only")
    return f"{98 - (int(body) * 100) % 97:02d}"


def format(year: int, authority_code: str, sequence: int) -> str:
    """The application number for the ``sequence``-th application of ``year`` to an authority."""
    if not 2000 <= year <= 2099:
        raise ValueError("year out of range")
    if not (len(authority_code) == 6 and authority_code.isdigit()) or authority_code == "000000":
        raise ValueError("authority code must be six digits, not all zero")
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError("sequence out of range")
    body = f"{year:04d}{authority_code}{sequence:06d}"
    return body + check_digits(body)


def normalise(typed: str) -> str:
    """R-WIZ-11: full-width digits folded, the spaces and hyphens people type or copy from the
    grouped display form dropped (``servicekit.text.normalise_number``)."""
    return text.normalise_number(typed)


def is_valid(typed: str) -> bool:
    """True when ``typed`` (full width, spaces/hyphens allowed) has the shape and correct check digits."""
    digits = normalise(typed)
    if not _SHAPE.match(digits):
        return False
    return (
        digits.startswith("20") and int(digits) % 97 == 1 and int(digits[4:10]) > 0 and int(digits[10:16]) > 0
    )


def parse(typed: str) -> ApplicationNumber:
    """Split a typed application number; ValueError if it is malformed or mistyped."""
    digits = normalise(typed)
    if not is_valid(digits):
        raise ValueError("not a valid application number")
    return ApplicationNumber(year=int(digits[:4]), authority_code=digits[4:10], sequence=int(digits[10:16]))


def display(number: str) -> str:
    """Grouped for reading aloud and printing: ``2026 110108 000123 45``."""
    digits = normalise(number)
    return f"{digits[:4]} {digits[4:10]} {digits[10:16]} {digits[16:]}"


def looks_like_application_number(typed: str) -> bool:
    """For a search box that also takes ID numbers: 18 digits beginning with 20."""
    digits = normalise(typed)
    return bool(_SHAPE.match(digits)) and digits.startswith("20")
