"""Protobuf enum values ↔ the codes services keep in their domains and show in JSON.

A value of a shared closed list (tqr.common.v1.vocabulary, identity's ReviewStatus) is named after
its code with the enum's name as prefix: ``DocumentType.DOCUMENT_TYPE_ID_CARD`` ↔ ``"ID_CARD"``.
Each service's mapper module uses these two functions, so no service keeps a table of its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

UNSPECIFIED = "UNSPECIFIED"


@cache
def prefix_of(enum_name: str) -> str:
    """``DocumentType`` → ``DOCUMENT_TYPE_`` (remembered: mappers ask on every message they map)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_name).upper() + "_"


def _prefix(enum: Any) -> str:
    return prefix_of(enum.DESCRIPTOR.name)


def code(enum: Any, value: int) -> str:
    """The code of a value; ``""`` for UNSPECIFIED and for a number this build does not know (a
    newer peer's value), which the caller treats as "not given"."""
    try:
        short = str(enum.Name(value)).removeprefix(_prefix(enum))
    except ValueError:
        return ""
    return "" if short == UNSPECIFIED else short


def value(enum: Any, text: str) -> Any:
    """The value of a code; UNSPECIFIED (0) for ``""`` and for a code the enum does not have, so
    unknown input reaches the owning service as "not given" and is refused there."""
    if not text:
        return 0
    try:
        return enum.Value(_prefix(enum) + text)
    except ValueError:
        return 0
