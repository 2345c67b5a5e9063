"""GB 11643 citizen identity number arithmetic (the 18-character layout).

Layout: 6-digit region code, 8-digit birth date (YYYYMMDD), 3-digit sequence (its last digit is odd
for men, even for women), 1 check character. The check character is ISO 7064 MOD 11-2 over the
first 17 digits. Residence permits for residents of Hong Kong, Macao and Taiwan use the same layout
with the region codes 810000, 820000 and 830000.

This module only does arithmetic; which number is acceptable for which document lives in
``documents.py``. ``make_valid_id_number`` is public so that tests of every service can build
numbers that pass validation instead of copying real people's numbers.
"""

from __future__ import annotations

from datetime import date

# Weight of each of the first 17 digits: 2**(17 - i) mod 11 for i = 0..16.
CHECK_WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character for each remainder 0..10 of the weighted sum modulo 11.
CHECK_CHARACTERS = "10X98765432"

ID_NUMBER_LENGTH = 18
BIRTH_DATE_SLICE = slice(6, 14)  # positions 7-14 (1-based)
SEQUENCE_SLICE = slice(14, 17)  # positions 15-17
GENDER_DIGIT_INDEX = 16  # position 17: odd = male, even = female


def compute_check_character(first_17_digits: str) -> str:
    """The MOD 11-2 check character ('0'-'9' or 'X') for 17 digits."""
    if len(first_17_digits) != 17 or not first_17_digits.isascii() or not first_17_digits.isdigit():
        raise ValueError("the check character is computed over exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first_17_digits, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def has_valid_check_character(number: str) -> bool:
    """True when an 18-character number ends with the check character of its first 17 digits."""
    if len(number) != ID_NUMBER_LENGTH:
        return False
    body = number[:17]
    if not body.isascii() or not body.isdigit():
        return False
    return compute_check_character(body) == number[17]


def parse_embedded_birth_date(number: str) -> date | None:
    """The birth date at positions 7-14 of an 18-character number, or None if it is not a real date."""
    digits = number[BIRTH_DATE_SLICE]
    if len(digits) != 8 or not digits.isascii() or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def make_valid_id_number(region: str, birth: date, seq: int) -> str:
    """Build an 18-character number with a correct check character.

    ``region`` is the 6-digit region code (for example "110105", or "810000" for a Hong Kong
    residence permit), ``seq`` the 3-digit sequence 0..999 (odd = male, even = female).
    """
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError("region must be 6 ASCII digits")
    if not 0 <= seq <= 999:
        raise ValueError("seq must be between 0 and 999")
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + compute_check_character(body)
