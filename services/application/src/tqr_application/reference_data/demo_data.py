"""A realistic demo data set, generated deterministically (seeded random) as reference dataclasses.

Same seed, same data: tests and the seeding code can rely on it. The places are real (GB/T 2260);
authorities' addresses and phones, and all people, are invented. The people and places come from
the shared demo world (``demodata``), which the identity service's simulated identity authority
knows too; each person holds one certificate of the registry. ID numbers carry correct GB 11643
check characters but belong to nobody.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

from demodata import DEFAULT_COUNT, DEFAULT_SEED, DemoPerson, demo_people
from demodata.places import PROVINCES, STREETS, DemoCity, authority_name, every_place, place_of

from tqr_application.domain.reference import (
    Authority,
    CertificateType,
    ConfirmationPoint,
    Region,
    RegionLevel,
    RegistryCertificate,
    Subject,
    TeachingStage,
)
from tqr_application.reference_data.csv_layout import ReferenceBatch
from tqr_application.reference_data.demo_photos import BACKGROUNDS, silhouette_png

DEFAULT_CERTIFICATE_COUNT = DEFAULT_COUNT  # one certificate for each of the demo people
PHOTO_SHARE = 8  # one holder in eight has a saved photo
# Authorities whose point count the demo scenarios rely on (see plan_scenarios).
FIXED_POINT_COUNTS: dict[str, int] = {"110108": 3, "110105": 2}

TEACHING_STAGES: tuple[TeachingStage, ...] = (
    TeachingStage("KINDERGARTEN", "幼儿园"),
    TeachingStage("PRIMARY", "小学"),
    TeachingStage("JUNIOR_SECONDARY", "初级中学"),
    TeachingStage("SENIOR_SECONDARY", "高级中学"),
    TeachingStage("SECONDARY_VOCATIONAL", "中等职业学校"),
)

CERTIFICATE_TYPES: tuple[CertificateType, ...] = (
    CertificateType("KINDERGARTEN", "幼儿园教师资格"),
    CertificateType("PRIMARY", "小学教师资格"),
    CertificateType("JUNIOR_SECONDARY", "初级中学教师资格"),
    CertificateType("SENIOR_SECONDARY", "高级中学教师资格"),
    CertificateType("SECONDARY_VOCATIONAL", "中等职业学校教师资格"),
    CertificateType("VOCATIONAL_PRACTICE", "中等职业学校实习指导教师资格"),
)

_GENERAL = ("CHINESE", "MATH", "ENGLISH")
_SECONDARY = (*_GENERAL, "PHYSICS", "CHEMISTRY", "BIOLOGY", "HISTORY", "GEOGRAPHY", "POLITICS",
              "MUSIC", "ART", "PE", "IT", "PSYCHOLOGY")
_VOCATIONAL = ("COMPUTER_APPLICATION", "ACCOUNTING", "MACHINING", "AUTOMOTIVE", "ELECTRONICS",
               "CHILDCARE")

SUBJECTS: tuple[Subject, ...] = (
    Subject("CHINESE", "语文"), Subject("MATH", "数学"), Subject("ENGLISH", "英语"),
    Subject("PHYSICS", "物理"), Subject("CHEMISTRY", "化学"), Subject("BIOLOGY", "生物"),
    Subject("HISTORY", "历史"), Subject("GEOGRAPHY", "地理"), Subject("POLITICS", "思想政治"),
    Subject("MORALITY", "道德与法治"), Subject("MUSIC", "音乐"), Subject("ART", "美术"),
    Subject("PE", "体育与健康"), Subject("IT", "信息技术"), Subject("SCIENCE", "科学"),
    Subject("PSYCHOLOGY", "心理健康教育"), Subject("JAPANESE", "日语"), Subject("RUSSIAN", "俄语"),
    Subject("COMPUTER_APPLICATION", "计算机应用"), Subject("ACCOUNTING", "会计事务"),
    Subject("MACHINING", "机械加工技术"), Subject("AUTOMOTIVE", "汽车运用与维修"),
    Subject("ELECTRONICS", "电子技术应用"), Subject("CHILDCARE", "幼儿保育"),
    Subject("NONE", "无"),
)

# Which subjects a certificate of each type names, and how common each type is.
SUBJECTS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "KINDERGARTEN": ("NONE",),
    "PRIMARY": (*_GENERAL, "MORALITY", "MUSIC", "ART", "PE", "SCIENCE", "IT"),
    "JUNIOR_SECONDARY": (*_SECONDARY, "MORALITY", "JAPANESE", "RUSSIAN"),
    "SENIOR_SECONDARY": _SECONDARY,
    "SECONDARY_VOCATIONAL": (*_GENERAL, *_VOCATIONAL),
    "VOCATIONAL_PRACTICE": _VOCATIONAL,
}
TYPE_WEIGHTS: dict[str, int] = {
    "KINDERGARTEN": 15, "PRIMARY": 30, "JUNIOR_SECONDARY": 25, "SENIOR_SECONDARY": 18,
    "SECONDARY_VOCATIONAL": 8, "VOCATIONAL_PRACTICE": 4,
}
# The county bureau issues these; the city bureau issues the senior and vocational ones.
_ISSUED_BY_COUNTY = frozenset({"KINDERGARTEN", "PRIMARY", "JUNIOR_SECONDARY"})


def demo_regions() -> tuple[Region, ...]:
    regions: list[Region] = []
    for province in PROVINCES:
        regions.append(Region(province.code, province.name, RegionLevel.PROVINCE, None))
        for city in province.cities:
            regions.append(Region(city.code, city.name, RegionLevel.CITY, province.code))
            regions.extend(Region(code, name, RegionLevel.COUNTY, city.code) for code, name in city.counties)
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    return tuple(sorted(regions, key=lambda r: order[r.level]))  # parents first, as imported


def _phone(rng: random.Random, city: DemoCity) -> str:
    first = rng.choice("2345678")
    rest = "".join(rng.choice("0123456789") for _ in range(city.local_digits - 1))
    return f"{city.area_code}-{first}{rest}"


def _address(rng: random.Random, city: DemoCity, county: str | None) -> str:
    return f"{city.display_name}{county or ''}{rng.choice(STREETS)}{rng.randint(1, 300)}号"


def _point_templates(short: str) -> list[tuple[str, str]]:
    """(name, scope) of the points an authority may run, most common first."""
    return [
        (f"{short}教师发展中心", f"{short}公办中小学、幼儿园在职教师"),
        (f"{short}教育考试中心", f"{short}民办中小学、民办幼儿园教师及其他申请人"),
        (f"{short}职业教育中心学校", "中等职业学校教师、中等职业学校实习指导教师"),
    ]


def demo_authorities_and_points(
    rng: random.Random,
) -> tuple[tuple[Authority, ...], tuple[ConfirmationPoint, ...]]:
    authorities: list[Authority] = []
    points: list[ConfirmationPoint] = []
    for province, city, county_code, county_name in every_place():
        code = county_code or city.code
        authorities.append(Authority(code=code, name=authority_name(province, city, county_name),
                                     region_code=code, address=_address(rng, city, county_name),
                                     phone=_phone(rng, city)))
        short = county_name or city.display_name
        how_many = FIXED_POINT_COUNTS.get(code, rng.choices((1, 2, 3), weights=(1, 4, 3))[0])
        for index, (name, scope) in enumerate(_point_templates(short)[:how_many], start=1):
            points.append(ConfirmationPoint(
                code=f"{code}{index:02d}", authority_code=code, name=f"{name}确认点",
                address=_address(rng, city, county_name), phone=_phone(rng, city), scope=scope,
            ))
    return tuple(authorities), tuple(points)


def demo_registry_certificates(
    rng: random.Random, people: Sequence[DemoPerson]
) -> tuple[RegistryCertificate, ...]:
    """One certificate for each person, issued where the person lives."""
    type_codes = list(TYPE_WEIGHTS)
    certificates: list[RegistryCertificate] = []
    for index, person in enumerate(people):
        province, city, county_code, county_name = place_of(person.county_code)
        type_code = rng.choices(type_codes, weights=[TYPE_WEIGHTS[t] for t in type_codes])[0]
        first_year = max(person.birth_date.year + 22, 1996)
        issued = date(rng.randint(first_year, 2021), rng.choice((6, 7, 9, 12)), rng.randint(1, 28))
        by_county = type_code in _ISSUED_BY_COUNTY
        issuer = authority_name(province, city, county_name) if by_county else city.bureau_name
        issuer_region = county_code if by_county else city.code
        number = f"{issued.year}{issuer_region}{type_codes.index(type_code) + 1}{index + 1:06d}"
        photo = silhouette_png(rng.choice(sorted(BACKGROUNDS))) if index % PHOTO_SHARE == 3 else None
        certificates.append(RegistryCertificate(
            certificate_number=number, holder_name=person.name, document_type=person.document_type,
            document_number=person.document_number, certificate_type_code=type_code,
            subject_code=rng.choice(SUBJECTS_BY_TYPE[type_code]), issuing_body=issuer,
            issue_date=issued, gender=person.gender, birth_date=person.birth_date,
            province_code=province.code, photo=photo,
        ))
    return tuple(certificates)


@lru_cache(maxsize=4)
def demo_batch(
    seed: int = DEFAULT_SEED, certificate_count: int = DEFAULT_CERTIFICATE_COUNT
) -> ReferenceBatch:
    """The whole demo data set. Cached: the dataclasses are frozen, so sharing is safe."""
    rng = random.Random(seed)
    authorities, points = demo_authorities_and_points(rng)
    return ReferenceBatch(
        regions=demo_regions(),
        authorities=authorities,
        confirmation_points=points,
        teaching_stages=TEACHING_STAGES,
        subjects=SUBJECTS,
        certificate_types=CERTIFICATE_TYPES,
        registry_certificates=demo_registry_certificates(rng, demo_people(seed, certificate_count)),
    )
