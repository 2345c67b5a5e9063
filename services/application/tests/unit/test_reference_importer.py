"""The reference-data CSV importer: all rows checked, all-or-nothing, row-level errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from tqr_application.domain.reference import RegionLevel
from tqr_application.reference_data import (
    ExistingReferenceData,
    ReferenceKind,
    import_directory,
    import_reference_data,
)
from tqr_application.reference_data.demo_photos import silhouette_png

K = ReferenceKind

REGIONS = """code,name,level,parent_code
110000,北京市,PROVINCE,
110108,海淀区,COUNTY,110100
110100,市辖区,CITY,110000
"""
AUTHORITIES = """code,name,region_code,address,phone
110108,北京市海淀区教育委员会,110108,北京市海淀区育才路1号,010-62345678
"""
POINTS = """code,authority_code,name,address,phone,scope
11010801,110108,海淀区教师发展中心确认点,北京市海淀区学府路2号,010-61234567,海淀区公办学校教师
"""
TYPES = "code,name\nPRIMARY,小学教师资格\n"
SUBJECTS = "code,name\nMATH,数学\nNONE,无\n"
STAGES = "code,name\nPRIMARY,小学\n"
CERT_HEADER = ("certificate_number,holder_name,document_type,document_number,certificate_type_code,"
               "subject_code,issuing_body,issue_date,gender,birth_date,province_code,photo_png_base64\n")
# 11010519491231002X is the worked example of GB 11643 itself.
GOOD_CERT = ("20101100122000017,王小明,ID_CARD,11010519491231002X,PRIMARY,MATH,"
             "北京市海淀区教育委员会,2010-07-01,F,1949-12-31,110000,\n")


def full_set(**overrides: str) -> dict[ReferenceKind, str]:
    files = {K.REGIONS: REGIONS, K.AUTHORITIES: AUTHORITIES, K.CONFIRMATION_POINTS: POINTS,
             K.CERTIFICATE_TYPES: TYPES, K.SUBJECTS: SUBJECTS, K.TEACHING_STAGES: STAGES,
             K.REGISTRY_CERTIFICATES: CERT_HEADER + GOOD_CERT}
    files.update({K(k): v for k, v in overrides.items()})
    return files


def errors_of(files: dict[ReferenceKind, str], existing: ExistingReferenceData | None = None) -> set[tuple]:
    result = import_reference_data(files, existing)
    assert result.batch is None and not result.ok
    return {(e.file, e.row, e.column) for e in result.errors}


def test_valid_files_give_a_complete_batch_with_parents_first() -> None:
    result = import_reference_data(full_set())
    assert result.ok and result.errors == ()
    assert result.batch is not None
    assert [r.code for r in result.batch.regions] == ["110000", "110100", "110108"]
    assert result.batch.registry_certificates[0].issue_date.isoformat() == "2010-07-01"
    assert result.batch.confirmation_points[0].scope == "海淀区公办学校教师"
    assert {s.name for s in result.batch.subjects} == {"数学", "无"}


def test_one_bad_row_loads_nothing() -> None:
    bad = AUTHORITIES + "110109,坏机构,999999,,\n"
    result = import_reference_data(full_set(authorities=bad))
    assert result.batch is None
    assert [(e.file, e.row, e.column) for e in result.errors] == [("authorities.csv", 3, "region_code")]
    assert result.errors[0].message_zh and result.errors[0].message_en


@pytest.mark.parametrize(("regions", "row", "column"), [
    ("code,name,level,parent_code\n11000,北京市,PROVINCE,\n", 2, "code"),
    ("code,name,level,parent_code\n110000,北京市,STATE,\n", 2, "level"),
    ("code,name,level,parent_code\n110000,北京市,PROVINCE,100000\n", 2, "parent_code"),
    ("code,name,level,parent_code\n110000,,PROVINCE,\n", 2, "name"),
])
def test_bad_region_cells_are_reported_by_row_and_column(regions: str, row: int, column: str) -> None:
    assert ("regions.csv", row, column) in errors_of({K.REGIONS: regions})


def test_region_parent_must_exist_have_the_right_level_and_share_the_prefix() -> None:
    regions = REGIONS + "120101,和平区,COUNTY,120100\n" + "110109,门头沟区,COUNTY,110000\n" \
        + "310100,市辖区,CITY,110000\n"
    assert errors_of({K.REGIONS: regions}) == {
        ("regions.csv", 5, "parent_code"), ("regions.csv", 6, "parent_code"), ("regions.csv", 7, "code"),
    }


def test_authority_whose_region_is_missing_is_reported() -> None:
    assert errors_of({K.AUTHORITIES: AUTHORITIES}) == {("authorities.csv", 2, "region_code")}


def test_authority_region_may_come_from_existing_data() -> None:
    existing = ExistingReferenceData(regions={"110108": RegionLevel.COUNTY})
    assert import_reference_data({K.AUTHORITIES: AUTHORITIES}, existing).ok


def test_point_whose_authority_is_missing_is_reported() -> None:
    assert errors_of({K.CONFIRMATION_POINTS: POINTS}) == {("confirmation_points.csv", 2, "authority_code")}


def test_point_authority_may_come_from_existing_data() -> None:
    existing = ExistingReferenceData(authority_codes=frozenset({"110108"}))
    assert import_reference_data({K.CONFIRMATION_POINTS: POINTS}, existing).ok


def test_duplicates_in_the_file_name_the_first_row() -> None:
    result = import_reference_data({K.SUBJECTS: SUBJECTS + "MATH,数学（重复）\n"})
    assert [(e.row, e.column) for e in result.errors] == [(4, "code")]
    assert "第 2 行" in result.errors[0].message_zh


def test_duplicate_names_in_a_code_list_are_reported() -> None:
    assert errors_of({K.SUBJECTS: SUBJECTS + "MATH2,数学\n"}) == {("subjects.csv", 4, "name")}


def test_codes_already_stored_are_duplicates() -> None:
    existing = ExistingReferenceData(regions={"110000": RegionLevel.PROVINCE})
    assert ("regions.csv", 2, "code") in errors_of({K.REGIONS: REGIONS}, existing)


def test_r_ref_1_staff_add_a_subject_and_an_authority_to_stored_data() -> None:
    existing = ExistingReferenceData(regions={"110000": RegionLevel.PROVINCE, "110100": RegionLevel.CITY,
                                              "110108": RegionLevel.COUNTY},
                                     subject_codes=frozenset({"MATH", "NONE"}))
    result = import_reference_data({K.SUBJECTS: "code,name\nCALLIGRAPHY,书法\n",
                                    K.AUTHORITIES: AUTHORITIES}, existing)
    assert result.ok and result.batch is not None
    assert [s.name for s in result.batch.subjects] == ["书法"]


@pytest.mark.parametrize(("value", "message"), [("2010/07/01", "YYYY-MM-DD"), ("2010-02-30", "real")])
def test_malformed_dates_are_reported(value: str, message: str) -> None:
    cert = GOOD_CERT.replace("2010-07-01", value)
    result = import_reference_data(full_set(registry_certificates=CERT_HEADER + cert))
    assert [(e.row, e.column) for e in result.errors] == [(2, "issue_date")]
    assert message in result.errors[0].message_en


def test_wrong_id_check_character_is_reported_without_the_number() -> None:
    cert = GOOD_CERT.replace("11010519491231002X", "110105194912310021")
    result = import_reference_data(full_set(registry_certificates=CERT_HEADER + cert))
    assert [(e.row, e.column) for e in result.errors] == [(2, "document_number")]
    assert "110105194912310021" not in result.errors[0].message_zh + result.errors[0].message_en


def test_birth_date_and_gender_must_agree_with_the_id_number() -> None:
    cert = GOOD_CERT.replace(",F,1949-12-31,", ",M,1950-01-01,")
    assert errors_of(full_set(registry_certificates=CERT_HEADER + cert)) == {
        ("registry_certificates.csv", 2, "gender"), ("registry_certificates.csv", 2, "birth_date"),
    }


def test_certificate_references_unknown_type_subject_and_province() -> None:
    cert = GOOD_CERT.replace("PRIMARY,MATH", "NOPE,CHEM").replace(",110000,", ",110108,")
    assert errors_of(full_set(registry_certificates=CERT_HEADER + cert)) == {
        ("registry_certificates.csv", 2, "certificate_type_code"),
        ("registry_certificates.csv", 2, "subject_code"),
        ("registry_certificates.csv", 2, "province_code"),
    }


def test_certificate_number_must_be_15_or_17_digits() -> None:
    cert = GOOD_CERT.replace("20101100122000017", "2010110012200001")
    assert errors_of(full_set(registry_certificates=CERT_HEADER + cert)) == {
        ("registry_certificates.csv", 2, "certificate_number")}


def test_photo_must_be_base64_png() -> None:
    good = base64.b64encode(silhouette_png()).decode()
    with_photo = CERT_HEADER + GOOD_CERT.rstrip(",\n") + f",{good}\n"
    ok = import_reference_data(full_set(registry_certificates=with_photo))
    assert ok.ok and ok.batch is not None and ok.batch.registry_certificates[0].photo == silhouette_png()
    not_png = base64.b64encode(b"GIF89a....").decode()
    for photo in (not_png, "%%%"):
        cert = GOOD_CERT.rstrip(",\n") + f",{photo}\n"
        assert errors_of(full_set(registry_certificates=CERT_HEADER + cert)) == {
            ("registry_certificates.csv", 2, "photo_png_base64")}


def test_missing_and_unknown_columns_are_reported_on_the_header_row() -> None:
    assert errors_of({K.SUBJECTS: "code,title\nMATH,数学\n"}) == {
        ("subjects.csv", 1, "name"), ("subjects.csv", 1, "title")}


def test_empty_file_is_reported() -> None:
    assert errors_of({K.SUBJECTS: ""}) == {("subjects.csv", 1, "")}


def test_row_with_extra_cells_is_reported() -> None:
    assert errors_of({K.SUBJECTS: "code,name\nMATH,数学,多余\n"}) == {("subjects.csv", 2, "")}


def test_excel_bom_blank_lines_and_column_order_are_accepted() -> None:
    result = import_reference_data({K.SUBJECTS: "\ufeffname,code\n数学,MATH\n\n,\n"})
    assert result.ok and result.batch is not None
    assert [(s.code, s.name) for s in result.batch.subjects] == [("MATH", "数学")]


def test_errors_come_sorted_by_file_then_row() -> None:
    files = full_set(subjects=SUBJECTS + "MATH,x\n", regions=REGIONS + "1,x,CITY,110000\n")
    result = import_reference_data(files)
    assert [e.file for e in result.errors] == ["regions.csv", "subjects.csv"]


def test_import_directory_reads_the_files_present(tmp_path: Path) -> None:
    (tmp_path / "subjects.csv").write_text(SUBJECTS, encoding="utf-8-sig")
    (tmp_path / "teaching_stages.csv").write_text(STAGES, encoding="utf-8")
    result = import_directory(tmp_path)
    assert result.ok and result.batch is not None
    assert len(result.batch.subjects) == 2 and len(result.batch.teaching_stages) == 1
    assert result.batch.regions == ()
