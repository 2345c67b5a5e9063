"""The simulated national identity authority for development and tests (R-ID-9).

It knows the people of the shared demo world (``demodata``), to each of whom the application
service's demo registry gives a certificate (so every demo holder verifies, and the wizard can match
them), plus a few people who exist to walk the other paths:

- ``NAME_CORRECTION``: on record as 王小明; an account registered as 王晓明 fails, and verifying
  with the corrected name succeeds (R-ID-10: the name changes only through verification);
- ``NO_RECORD``: unknown to the authority, so verification always fails (→ manual review);
- ``HK_PERMIT_NO_RECORD``: a Hong Kong permit holder the authority cannot check (→ manual review);
- ``OUTAGE``: the authority never answers for this number (→ "try again later", nothing recorded).

All numbers are made up with correct check characters and belong to nobody.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

from demodata import demo_people

from tqr_identity.adapters.real_name import (
    NO_MATCH_ANSWER,
    NO_RECORD_ANSWER,
    RealNameAnswer,
    RealNameProviderUnavailable,
)
from tqr_identity.domain.documents import DocumentType
from tqr_identity.domain.gb11643 import make_valid_id_number


@dataclass(frozen=True)
class DevPerson:
    document_type: DocumentType
    document_number: str
    name: str  # the name the authority holds


NAME_CORRECTION = DevPerson(DocumentType.ID_CARD, make_valid_id_number("110101", date(1985, 3, 14), 123), "王小明")
NAME_CORRECTION_REGISTERED_AS = "王晓明"
NO_RECORD = DevPerson(DocumentType.ID_CARD, make_valid_id_number("110102", date(1979, 7, 2), 246), "李无档")
HK_PERMIT_NO_RECORD = DevPerson(DocumentType.HKMO_PERMIT, "H20260301", "陈港生")
OUTAGE = DevPerson(DocumentType.ID_CARD, make_valid_id_number("110105", date(1990, 12, 1), 357), "赵超时")

DEV_ONLY_PEOPLE = (NAME_CORRECTION,)
UNKNOWN_TO_AUTHORITY = (NO_RECORD, HK_PERMIT_NO_RECORD)


@cache
def demo_registry_holders() -> tuple[DevPerson, ...]:
    """The demo people, each of whom holds a certificate of the application service's demo registry."""
    return tuple(DevPerson(DocumentType(p.document_type), p.document_number, p.name) for p in demo_people())


class DevRealNameProvider:
    def __init__(self, people: Iterable[DevPerson] | None = None, outage_numbers: Iterable[str] | None = None):
        known = list(people) if people is not None else [*demo_registry_holders(), *DEV_ONLY_PEOPLE]
        self._names = {(p.document_type, p.document_number): p.name for p in known}
        self._outages = set(outage_numbers) if outage_numbers is not None else {OUTAGE.document_number}
        self.calls = 0

    async def verify(self, document_type: DocumentType, document_number: str, name: str) -> RealNameAnswer:
        self.calls += 1
        if document_number in self._outages:
            await asyncio.sleep(3600)  # never answers: the caller's deadline ends the wait
            raise RealNameProviderUnavailable("no answer")
        await asyncio.sleep(0)
        on_record = self._names.get((document_type, document_number))
        if on_record is None:
            return NO_RECORD_ANSWER
        if on_record != name:
            return NO_MATCH_ANSWER
        return RealNameAnswer(True)
