"""Turn one CSV row into one reference dataclass, or say what is wrong with each cell.

Only checks that need nothing but the row itself live here; references between rows and
files (parents, duplicates) are checked by the importer. Messages never quote a document
number (personal data); they name the column instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from servicekit import text

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
from tqr_application.reference_data.csv_layout import ReferenceKind
from tqr_application.reference_data.id_numbers import (
    GB11643_DOCUMENT_TYPES,
    embedded_birth_date,
    embedded_gender,
    is_valid_gb11643,
)

REGION_CODE = re.compile(r"^\d{6}$")
AUTHORITY_CODE = re.compile(r"^\d{6}$")
GENERIC_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CERTIFICATE_NUMBER = re.compile(r"^([0-9]{15}|[0-9]{17})$")
DOCUMENT_TYPE = re.compile(r"^[A-Z_]{2,32}$")
OTHER_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{6,20}$")
DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PHONE = re.compile(r"^[0-9+()\- ]{5,30}$")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PHOTO_BYTES = 200_000
MAX_TEXT = 200
MAX_SCOPE = 1000


@dataclass(frozen=True)
class CellProblem:
    column: str
    message_zh: str
    message_en: str


class _Row:
    """Reads cells of one row, collecting problems instead of stopping at the first."""

    def __init__(self, cells: Mapping[str, str]) -> None:
        self.cells = cells
        self.problems: list[CellProblem] = []

    def problem(self, column: str, zh: str, en: str) -> None:
        self.problems.append(CellProblem(column, zh, en))

    def text(self, column: str, *, required: bool = True, max_len: int = MAX_TEXT) -> str:
        value = (self.cells.get(column) or "").strip()
        if required and not value:
            self.problem(column, "不能为空", "must not be empty")
        elif len(value) > max_len:
            self.problem(column, f"不能超过 {max_len} 个字", f"must be at most {max_len} characters")
        return value

    def code(self, column: str, pattern: re.Pattern[str], zh_hint: str, en_hint: str,
             *, required: bool = True) -> str:
        value = (self.cells.get(column) or "").strip()
        if not value:
            if required:
                self.problem(column, "不能为空", "must not be empty")
        elif not pattern.match(value):
            self.problem(column, f"代码格式不对：{zh_hint}", f"malformed code: {en_hint}")
        return value

    def day(self, column: str, *, required: bool = True) -> date | None:
        value = (self.cells.get(column) or "").strip()
        if not value:
            if required:
                self.problem(column, "不能为空", "must not be empty")
            return None
        if not DATE_SHAPE.match(value):
            self.problem(column, "日期格式不对，应为 YYYY-MM-DD", "malformed date: use YYYY-MM-DD")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.problem(column, "不是真实的日期", "not a real date")
            return None

    def phone(self, column: str, *, required: bool) -> str:
        value = self.text(column, required=required, max_len=30)
        if value and not PHONE.match(value):
            self.problem(column, "电话号码格式不对", "malformed phone number")
        return value


def parse_region(cells: Mapping[str, str]) -> tuple[Region | None, list[CellProblem]]:
    row = _Row(cells)
    code = row.code("code", REGION_CODE, "应为 6 位数字", "six digits")
    name = row.text("name")
    level_text = row.text("level")
    level: RegionLevel | None = None
    if level_text:
        try:
            level = RegionLevel(level_text)
        except ValueError:
            row.problem("level", "级别应为 PROVINCE、CITY 或 COUNTY",
                        "level must be PROVINCE, CITY or COUNTY")
    parent = row.code("parent_code", REGION_CODE, "应为 6 位数字", "six digits", required=False)
    if level is RegionLevel.PROVINCE and parent:
        row.problem("parent_code", "省级区划不应有上级", "a province has no parent")
    if level in (RegionLevel.CITY, RegionLevel.COUNTY) and not parent:
        row.problem("parent_code", "市、县级区划必须填写上级代码", "a city or county needs its parent code")
    if row.problems or level is None:
        return None, row.problems
    return Region(code=code, name=name, level=level, parent_code=parent or None), []


def parse_authority(cells: Mapping[str, str]) -> tuple[Authority | None, list[CellProblem]]:
    row = _Row(cells)
    code = row.code("code", AUTHORITY_CODE, "应为 6 位数字", "six digits")
    name = row.text("name")
    region = row.code("region_code", REGION_CODE, "应为 6 位数字", "six digits")
    address = row.text("address", required=False)
    phone = row.phone("phone", required=False)
    if row.problems:
        return None, row.problems
    return Authority(code=code, name=name, region_code=region, address=address, phone=phone), []


def parse_point(cells: Mapping[str, str]) -> tuple[ConfirmationPoint | None, list[CellProblem]]:
    row = _Row(cells)
    code = row.code("code", GENERIC_CODE, "字母、数字、_ 或 -，最多 32 位", "letters, digits, _ or -, max 32")
    authority = row.code("authority_code", AUTHORITY_CODE, "应为 6 位数字", "six digits")
    name = row.text("name")
    address = row.text("address")
    phone = row.phone("phone", required=True)
    scope = row.text("scope", max_len=MAX_SCOPE)
    if row.problems:
        return None, row.problems
    return ConfirmationPoint(code=code, authority_code=authority, name=name, address=address,
                             phone=phone, scope=scope), []


def _code_and_name(cells: Mapping[str, str]) -> tuple[str, str, list[CellProblem]]:
    row = _Row(cells)
    code = row.code("code", GENERIC_CODE, "字母、数字、_ 或 -，最多 32 位", "letters, digits, _ or -, max 32")
    name = row.text("name", max_len=50)
    return code, name, row.problems


def parse_stage(cells: Mapping[str, str]) -> tuple[TeachingStage | None, list[CellProblem]]:
    code, name, problems = _code_and_name(cells)
    return (None, problems) if problems else (TeachingStage(code=code, name=name), [])


def parse_subject(cells: Mapping[str, str]) -> tuple[Subject | None, list[CellProblem]]:
    code, name, problems = _code_and_name(cells)
    return (None, problems) if problems else (Subject(code=code, name=name), [])


def parse_certificate_type(cells: Mapping[str, str]) -> tuple[CertificateType | None, list[CellProblem]]:
    code, name, problems = _code_and_name(cells)
    return (None, problems) if problems else (CertificateType(code=code, name=name), [])


def parse_registry_certificate(
    cells: Mapping[str, str],
) -> tuple[RegistryCertificate | None, list[CellProblem]]:
    # R-WIZ-11: the registry's numbers in the same canonical form as every number typed in the wizard.
    cells = {**cells, **{name: text.normalise_number(cells.get(name) or "")
                         for name in ("certificate_number", "document_number")}}
    row = _Row(cells)
    number = row.code("certificate_number", CERTIFICATE_NUMBER, "应为 15 或 17 位数字", "15 or 17 digits")
    holder = row.text("holder_name", max_len=50)
    doc_type = row.code("document_type", DOCUMENT_TYPE, "证件类型代码，如 ID_CARD", "a code such as ID_CARD")
    doc_number = cells["document_number"]
    if not doc_number:
        row.problem("document_number", "不能为空", "must not be empty")
    elif doc_type in GB11643_DOCUMENT_TYPES and not is_valid_gb11643(doc_number):
        row.problem("document_number", "证件号码有误（位数、出生日期或校验码不对）",
                    "invalid document number (length, birth date or check character)")
    elif doc_type not in GB11643_DOCUMENT_TYPES and not OTHER_DOCUMENT_NUMBER.match(doc_number):
        row.problem("document_number", "证件号码格式不对", "malformed document number")
    cert_type = row.code("certificate_type_code", GENERIC_CODE, "资格种类代码", "a certificate type code")
    subject = row.code("subject_code", GENERIC_CODE, "学科代码", "a subject code")
    issuing_body = row.text("issuing_body")
    issued = row.day("issue_date")
    gender = row.text("gender", required=False, max_len=1)
    if gender not in ("", "M", "F"):
        row.problem("gender", "性别应为 M、F 或留空", "gender must be M, F or empty")
    birth = row.day("birth_date", required=False)
    _check_embedded(row, doc_type, doc_number, gender, birth)
    province = row.code("province_code", REGION_CODE, "应为 6 位数字", "six digits", required=False)
    photo = _photo(row)
    if row.problems or issued is None:
        return None, row.problems
    return RegistryCertificate(
        certificate_number=number, holder_name=holder, document_type=doc_type, document_number=doc_number,
        certificate_type_code=cert_type, subject_code=subject, issuing_body=issuing_body,
        issue_date=issued, gender=gender, birth_date=birth, province_code=province, photo=photo,
    ), []


def _check_embedded(row: _Row, doc_type: str, number: str, gender: str, birth: date | None) -> None:
    """Gender and birth date, when given, must agree with what a GB 11643 number says."""
    if doc_type not in GB11643_DOCUMENT_TYPES or not is_valid_gb11643(number):
        return
    if birth is not None and birth != embedded_birth_date(number):
        row.problem("birth_date", "出生日期与证件号码不一致", "birth date differs from the document number")
    if gender and gender != embedded_gender(number):
        row.problem("gender", "性别与证件号码不一致", "gender differs from the document number")


def _photo(row: _Row) -> bytes | None:
    encoded = (row.cells.get("photo_png_base64") or "").strip()
    if not encoded:
        return None
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        row.problem("photo_png_base64", "照片不是有效的 base64 文本", "photo is not valid base64")
        return None
    if not data.startswith(PNG_MAGIC):
        row.problem("photo_png_base64", "照片必须是 PNG 图片", "photo must be a PNG image")
    elif len(data) > MAX_PHOTO_BYTES:
        row.problem("photo_png_base64", "照片太大", "photo is too large")
    return data


PARSERS: dict[ReferenceKind, Callable[[Mapping[str, str]], tuple[object | None, list[CellProblem]]]] = {
    ReferenceKind.REGIONS: parse_region,
    ReferenceKind.AUTHORITIES: parse_authority,
    ReferenceKind.CONFIRMATION_POINTS: parse_point,
    ReferenceKind.TEACHING_STAGES: parse_stage,
    ReferenceKind.SUBJECTS: parse_subject,
    ReferenceKind.CERTIFICATE_TYPES: parse_certificate_type,
    ReferenceKind.REGISTRY_CERTIFICATES: parse_registry_certificate,
}
