"""Where the school is (issue 19 item 18): province → city → county from the application
service's regions (GB/T 2260 codes), or a search by name, and the registration authority whose
scope covers that place, suggested but never forced.

GB/T 2260 codes carry their parents: ``440106`` (天河区) lies in city ``440100`` (广州市) in
province ``440000`` (广东省). An authority covers the region of its own code and everything below
it, so the suggestion is the authority of the most specific region containing the school.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tqr.application.v1 import application_pb2 as pb

MAX_MATCHES = 12


class Regions(Protocol):
    async def list_regions(self, parent_code: str = "") -> list[pb.Region]: ...

    async def search_regions(self, text: str, limit: int) -> list[pb.RegionMatch]: ...


class HasRegion(Protocol):
    code: str
    name: str
    region_code: str


def province_of(code: str) -> str:
    return f"{code[:2]}0000" if len(code) == 6 and code.isdigit() else ""


def city_of(code: str) -> str:
    return f"{code[:4]}00" if len(code) == 6 and code.isdigit() and code[2:4] != "00" else ""


def contains(outer: str, inner: str) -> bool:
    """``outer`` is ``inner`` or one of its parents (by the code's structure)."""
    if not outer or not inner:
        return False
    return outer == inner or outer in (province_of(inner), city_of(inner))


@dataclass
class SchoolArea:
    """What step 4 shows: the three lists, the search's matches, the chosen place."""

    province: str = ""
    city: str = ""
    county: str = ""
    provinces: list[dict[str, str]] = field(default_factory=list)
    cities: list[dict[str, str]] = field(default_factory=list)
    counties: list[dict[str, str]] = field(default_factory=list)
    matches: list[dict[str, str]] = field(default_factory=list)
    path: str = ""

    @property
    def region(self) -> str:
        """The most specific place chosen."""
        return self.county or self.city or self.province

    def context(self) -> dict[str, Any]:
        return {"school_province": self.province, "school_city": self.city, "school_county": self.county,
                "provinces": self.provinces, "cities": self.cities, "counties": self.counties,
                "area_matches": self.matches, "area_path": self.path}


def _options(regions: Sequence[pb.Region]) -> list[dict[str, str]]:
    return [{"value": r.code, "text": r.name} for r in regions]


async def school_area(client: Regions, *, province: str, city: str, county: str, search: str = "",
                      match: str = "") -> SchoolArea:
    """The lists for what was chosen; a choice that does not lie in the one above it is dropped
    (the person changed the province after choosing a county), and a chosen search match wins."""
    if match:
        province, city, county = province_of(match), city_of(match), match if match != city_of(match) else ""
    provinces = await client.list_regions("")
    area = SchoolArea(provinces=_options(provinces))
    if province not in {p.code for p in provinces}:
        return await _with_matches(client, area, search)
    area.province = province
    cities = await client.list_regions(province)
    area.cities = _options(cities)
    names = {p.code: p.name for p in provinces}
    if city in {c.code for c in cities}:
        area.city = city
        names.update({c.code: c.name for c in cities})
        counties = await client.list_regions(city)
        area.counties = _options(counties)
        names.update({c.code: c.name for c in counties})
        if county in {c.code for c in counties}:
            area.county = county
    area.path = " ".join(names[c] for c in (area.province, area.city, area.county) if c and c in names)
    return await _with_matches(client, area, search)


async def _with_matches(client: Regions, area: SchoolArea, search: str) -> SchoolArea:
    """Counties (and cities without counties) whose name or whose city's or province's name holds
    ``search``, with their full path; at most MAX_MATCHES. One call: the application service
    searches the places it remembers (walking the tree here took a call per province and city)."""
    text = search.strip()
    if text:
        area.matches = [{"value": m.code, "text": m.path} for m in await client.search_regions(text, MAX_MATCHES)]
    return area


def covering(authorities: Sequence[HasRegion], region: str) -> list[HasRegion]:
    """The authorities whose scope covers ``region``: those of its most specific containing region."""
    for level in (region, city_of(region), province_of(region)):
        found = [a for a in authorities if level and a.region_code == level]
        if found:
            return found
    return []
