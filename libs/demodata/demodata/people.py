"""The invented people of the demo world, generated deterministically (seeded random).

Both simulated outside systems know them: the application service's demo certificate registry
gives each person one certificate, and the identity service's simulated identity authority (R-ID-9)
confirms each person's name and document. Same seed and count, same people, in the same order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from demodata.id_numbers import make_id_number
from demodata.places import GIVEN_NAME_CHARACTERS, SURNAMES, every_place

DEFAULT_SEED = 20260301
DEFAULT_COUNT = 360
PERMIT_EVERY = 60  # one person in sixty is a Hong Kong, Macao or Taiwan resident
# Residence permits of Hong Kong / Macao / Taiwan residents carry these "region" codes.
_PERMIT_REGIONS = (("HKMO_RESIDENCE", "810000"), ("HKMO_RESIDENCE", "820000"), ("TW_RESIDENCE", "830000"))


@dataclass(frozen=True)
class DemoPerson:
    name: str
    document_type: str  # a document type code of the identity service: ID_CARD, HKMO_RESIDENCE, TW_RESIDENCE
    document_number: str  # GB 11643, unique among the people
    birth_date: date
    county_code: str  # the GB/T 2260 county where the person lives and teaches

    @property
    def gender(self) -> str:
        """"M" or "F", as the number's sequence digit says (odd: male)."""
        return "M" if int(self.document_number[16]) % 2 else "F"


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN_NAME_CHARACTERS) for _ in range(rng.choice((1, 2, 2, 2))))
    return rng.choice(SURNAMES) + given


@lru_cache(maxsize=4)
def demo_people(seed: int = DEFAULT_SEED, count: int = DEFAULT_COUNT) -> tuple[DemoPerson, ...]:
    """Cached: the dataclasses are frozen, so sharing is safe."""
    rng = random.Random(seed)
    counties = [place for place in every_place() if place[2] is not None]
    used: set[str] = set()
    people: list[DemoPerson] = []
    for index in range(count):
        county_code = rng.choice(counties)[2]
        assert county_code is not None
        document_type, id_region = "ID_CARD", county_code
        if index % PERMIT_EVERY == PERMIT_EVERY - 1:
            document_type, id_region = rng.choice(_PERMIT_REGIONS)
        birth = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 34))
        number = make_id_number(id_region, birth, rng.randrange(1000))
        while number in used:
            number = make_id_number(id_region, birth, rng.randrange(1000))
        used.add(number)
        people.append(DemoPerson(_name(rng), document_type, number, birth, county_code))
    return tuple(people)
