"""Valid GB 11643 (ISO 7064 MOD 11-2) identity numbers for invented people.

Each service that checks numbers keeps its own validation (identity for accounts, application for
the registry importer); this is only the generator the demo people need, so the package depends on
no service.
"""

from __future__ import annotations

from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by (weighted sum mod 11)


def make_id_number(region_code: str, birth: date, sequence: int) -> str:
    """A valid number for ``region_code`` (or 810000/820000/830000 permits), ``sequence`` 0-999
    (its last digit's parity is the gender)."""
    first17 = f"{region_code}{birth:%Y%m%d}{sequence:03d}"
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + CHECK_CHARACTERS[total % 11]
