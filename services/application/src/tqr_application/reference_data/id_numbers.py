"""GB 11643 (ISO 7064 MOD 11-2) citizen identity numbers, as far as reference data needs them.

The identity service owns document validation for accounts; the registry importer only needs to
catch a mistyped number in a province's file and the demo generator to make valid ones.
"""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by (weighted sum mod 11)
_SHAPE = re.compile(r"^\d{17}[\dX]$")

# Document type codes of the identity service whose numbers follow GB 11643.
GB11643_DOCUMENT_TYPES = frozenset({"ID_CARD", "HKMO_RESIDENCE", "TW_RESIDENCE"})


def check_character(first17: str) -> str:
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("GB 11643 check character needs 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def embedded_birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def embedded_gender(number: str) -> str:
    """"M" or "F" from the sequence digit (odd: male)."""
    return "M" if int(number[16]) % 2 == 1 else "F"


def is_valid_gb11643(number: str) -> bool:
    """Shape, real birth date and check character. Upper-case X only: callers normalise."""
    if not _SHAPE.match(number):
        return False
    if embedded_birth_date(number) is None:
        return False
    return check_character(number[:17]) == number[17]


def make_id_number(region_code: str, birth: date, sequence: int) -> str:
    """A valid number for ``region_code`` (or 810000/820000/830000 permits), ``sequence`` 0-999
    (its last digit's parity is the gender)."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
