"""The demo data set: realistic, deterministic, and its shipped CSV files import cleanly."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from pathlib import Path

from demodata import demo_people
from PIL import Image
from tqr_application.reference_data import (
    SHIPPED_DEMO_DIRECTORY,
    PlanState,
    ReferenceKind,
    demo_batch,
    demo_plan_scenarios,
    import_directory,
    write_demo_csv,
)
from tqr_application.reference_data.demo_data import demo_registry_certificates


def gb11643_ok(number: str) -> bool:
    """Written from the standard, independently of the code under test."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(number[:17], weights))
    return "10X98765432"[total % 11] == number[17]


def test_shipped_demo_csv_files_import_cleanly_and_are_up_to_date() -> None:
    result = import_directory(SHIPPED_DEMO_DIRECTORY)
    assert result.errors == ()
    assert result.batch == demo_batch()


def test_generated_demo_csv_files_import_cleanly(tmp_path: Path) -> None:
    paths = write_demo_csv(tmp_path)
    assert sorted(p.name for p in paths) == sorted(k.file_name for k in ReferenceKind)
    result = import_directory(tmp_path)
    assert result.ok and result.batch == demo_batch()


def test_demo_set_is_deterministic_per_seed() -> None:
    demo_batch.cache_clear()
    first = demo_batch(7, 50)
    demo_batch.cache_clear()
    assert demo_batch(7, 50) == first
    assert demo_batch(8, 50) != first


def test_demo_places_are_real_provinces_with_real_codes() -> None:
    regions = {r.code: r.name for r in demo_batch().regions}
    assert {regions[c] for c in ("110000", "310000", "440000", "510000", "410000")} == {
        "北京市", "上海市", "广东省", "四川省", "河南省"}
    assert regions["110108"] == "海淀区" and regions["440106"] == "天河区" and regions["510107"] == "武侯区"


def test_demo_authorities_are_education_bureaus_with_two_or_three_points_mostly() -> None:
    batch = demo_batch()
    names = {a.code: a.name for a in batch.authorities}
    assert len(names) >= 36
    assert names["110108"] == "北京市海淀区教育委员会"
    assert names["510781"] == "江油市教育局"
    assert all(n.endswith(("教育委员会", "教育局", "教育和体育局")) for n in names.values())
    per_authority = Counter(p.authority_code for p in batch.confirmation_points)
    assert set(per_authority) == set(names)
    assert sum(1 for n in per_authority.values() if n in (2, 3)) > len(names) * 0.6
    assert all(p.address and p.phone and p.scope for p in batch.confirmation_points)


def test_demo_code_lists_cover_the_domain() -> None:
    batch = demo_batch()
    stages = [s.name for s in batch.teaching_stages]
    assert stages == ["幼儿园", "小学", "初级中学", "高级中学", "中等职业学校"]
    assert {"语文", "数学", "英语", "无"} <= {s.name for s in batch.subjects}
    assert {t.name for t in batch.certificate_types} == {
        "幼儿园教师资格", "小学教师资格", "初级中学教师资格", "高级中学教师资格",
        "中等职业学校教师资格", "中等职业学校实习指导教师资格"}


def test_demo_registry_holders_have_valid_ids_and_17_digit_numbers() -> None:
    certs = demo_batch().registry_certificates
    assert len(certs) >= 300
    assert all(gb11643_ok(c.document_number) for c in certs)
    assert all(len(c.certificate_number) == 17 and c.certificate_number.isdigit() for c in certs)
    assert len({c.certificate_number for c in certs}) == len(certs)
    assert len({c.document_number for c in certs}) == len(certs)
    assert all(c.birth_date == date(int(c.document_number[6:10]), int(c.document_number[10:12]),
                                    int(c.document_number[12:14])) for c in certs)
    assert {c.document_type for c in certs} >= {"ID_CARD", "HKMO_RESIDENCE"}
    assert all(c.subject_code == "NONE" for c in certs if c.certificate_type_code == "KINDERGARTEN")


def test_each_person_of_the_shared_demo_world_holds_one_registry_certificate() -> None:
    # The identity service's simulated authority knows the same people (its own test says so), so a
    # demo holder verifies there and finds their certificate here.
    people = demo_people()
    certificates = demo_batch().registry_certificates
    assert [(c.holder_name, c.document_type, c.document_number, c.birth_date) for c in certificates] == [
        (p.name, p.document_type, p.document_number, p.birth_date) for p in people]
    parents = {r.code: r.parent_code for r in demo_batch().regions}
    for person, cert in zip(people, certificates, strict=True):
        assert cert.province_code == parents[parents[person.county_code]]  # issued where the person lives
        assert cert.gender == ("M" if int(person.document_number[16]) % 2 else "F")


def test_some_demo_holders_have_a_small_png_photo() -> None:
    photos = [c.photo for c in demo_batch().registry_certificates if c.photo]
    assert 20 <= len(photos) <= 100
    image = Image.open(io.BytesIO(photos[0]))
    assert image.format == "PNG" and image.size[1] > image.size[0]
    total = sum((SHIPPED_DEMO_DIRECTORY / k.file_name).stat().st_size for k in ReferenceKind)
    assert total < 300_000


def test_demo_certificates_use_only_known_codes() -> None:
    batch = demo_batch()
    types = {t.code for t in batch.certificate_types}
    subjects = {s.code for s in batch.subjects}
    import random
    for cert in demo_registry_certificates(random.Random(1), demo_people(1, 200)):
        assert cert.certificate_type_code in types and cert.subject_code in subjects


def test_plan_scenarios_cover_every_plan_situation() -> None:
    scenarios = demo_plan_scenarios()
    batch = demo_batch()
    assert {s.authority_code for s in scenarios} == {a.code for a in batch.authorities}
    assert set(Counter(s.state for s in scenarios)) == set(PlanState)
    points = {p.code: p.authority_code for p in batch.confirmation_points}
    for s in scenarios:
        assert all(points[w.point_code] == s.authority_code for w in s.point_windows)
        if s.state in (PlanState.NO_PLAN, PlanState.OPEN_WITHOUT_POINTS):
            assert s.point_windows == ()
        assert (s.online_start_day is None) is (s.state is PlanState.NO_PLAN)


def test_plan_scenarios_resolve_to_windows_around_today() -> None:
    today = date(2026, 4, 1)
    by_state = {s.state: s for s in demo_plan_scenarios()}
    online, windows = by_state[PlanState.OPEN].resolve(today)
    assert online is not None and online[0].date() < today < online[1].date()
    assert online[0].utcoffset() is not None and windows
    closed, _ = by_state[PlanState.CLOSED].resolve(today)
    assert closed is not None and closed[1].date() < today
    later, _ = by_state[PlanState.NOT_YET_OPEN].resolve(today)
    assert later is not None and later[0].date() > today
    assert by_state[PlanState.NO_PLAN].resolve(today) == (None, ())


def test_haidian_has_a_point_whose_confirmation_already_ended() -> None:
    haidian = next(s for s in demo_plan_scenarios() if s.authority_code == "110108")
    ends = [w.confirm_end_day for w in haidian.point_windows]
    assert haidian.state is PlanState.OPEN and min(ends) < 0 < max(ends)
