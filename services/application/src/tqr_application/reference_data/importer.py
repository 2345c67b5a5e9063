"""Import reference data from CSV: all or nothing.

Every row of every file is parsed and checked, against the other files of the import and
against what is already stored (``ExistingReferenceData``). The result holds either a complete
``ReferenceBatch`` or every problem found (file, row, column, message in Chinese and English);
never part of a batch. The DB layer writes a batch in one transaction.

A code already stored counts as a duplicate: an import adds rows, it does not update them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
from tqr_application.reference_data.csv_layout import HEADERS, ReferenceBatch, ReferenceKind
from tqr_application.reference_data.row_parsers import PARSERS

T = TypeVar("T")

_LEVEL_ORDER = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
# The parent level each level needs, and how many leading code digits it shares with it.
_PARENT_RULE = {RegionLevel.CITY: (RegionLevel.PROVINCE, 2), RegionLevel.COUNTY: (RegionLevel.CITY, 4)}


@dataclass(frozen=True)
class RowError:
    file: str  # e.g. "authorities.csv"
    row: int  # spreadsheet row number: the header is row 1, the first data row is 2
    column: str  # "" for a problem with the whole file
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.file} row {self.row} [{self.column}]: {self.message_en}"


@dataclass(frozen=True)
class ExistingReferenceData:
    """What is already stored, so new rows can refer to it and not duplicate it."""

    regions: Mapping[str, RegionLevel] = field(default_factory=dict)
    authority_codes: frozenset[str] = frozenset()
    point_codes: frozenset[str] = frozenset()
    teaching_stage_codes: frozenset[str] = frozenset()
    subject_codes: frozenset[str] = frozenset()
    certificate_type_codes: frozenset[str] = frozenset()
    certificate_numbers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ImportResult:
    batch: ReferenceBatch | None
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return self.batch is not None and not self.errors


_Parsed = dict[ReferenceKind, list[tuple[int, object]]]


def import_reference_data(
    files: Mapping[ReferenceKind, str], existing: ExistingReferenceData | None = None
) -> ImportResult:
    """Parse and check CSV texts (one per kind; any kind may be absent)."""
    known = existing or ExistingReferenceData()
    errors: list[RowError] = []
    parsed: _Parsed = {kind: [] for kind in ReferenceKind}
    for kind, text in files.items():
        parsed[kind] = _parse_file(kind, text, errors)
    _check_references(parsed, known, errors)
    if errors:
        return ImportResult(batch=None, errors=tuple(sorted(errors, key=_error_order)))
    return ImportResult(batch=_batch(parsed), errors=())


def import_directory(directory: Path, existing: ExistingReferenceData | None = None) -> ImportResult:
    """Read whichever of the kinds' files (``regions.csv`` …) exist in ``directory``."""
    files = {
        kind: (directory / kind.file_name).read_text(encoding="utf-8-sig")
        for kind in ReferenceKind
        if (directory / kind.file_name).is_file()
    }
    return import_reference_data(files, existing)


def _error_order(error: RowError) -> tuple[int, int, str]:
    kinds = [k.file_name for k in ReferenceKind]
    return (kinds.index(error.file) if error.file in kinds else len(kinds), error.row, error.column)


def _parse_file(kind: ReferenceKind, text: str, errors: list[RowError]) -> list[tuple[int, object]]:
    file = kind.file_name
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    expected = HEADERS[kind]
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected]
    if not header:
        errors.append(RowError(file, 1, "", "文件为空或缺少表头", "the file is empty or has no header"))
        return []
    if missing or unknown:
        errors.extend(RowError(file, 1, c, "缺少这一列", "this column is missing") for c in missing)
        errors.extend(RowError(file, 1, c, "不认识的列", "unknown column") for c in unknown)
        return []
    reader.fieldnames = header
    rows: list[tuple[int, object]] = []
    for number, cells in enumerate(reader, start=2):
        if None in cells:
            errors.append(RowError(file, number, "", "这一行的列数比表头多",
                                   "this row has more cells than the header"))
            continue
        if not any((v or "").strip() for v in cells.values()):
            continue  # blank lines are common at the end of spreadsheet exports
        item, problems = PARSERS[kind](cells)
        errors.extend(RowError(file, number, p.column, p.message_zh, p.message_en) for p in problems)
        if item is not None:
            rows.append((number, item))
    return rows


def _check_references(parsed: _Parsed, known: ExistingReferenceData, errors: list[RowError]) -> None:
    _unique(parsed, ReferenceKind.REGIONS, "code", set(known.regions), errors)
    _unique(parsed, ReferenceKind.AUTHORITIES, "code", known.authority_codes, errors)
    _unique(parsed, ReferenceKind.CONFIRMATION_POINTS, "code", known.point_codes, errors)
    _unique(parsed, ReferenceKind.TEACHING_STAGES, "code", known.teaching_stage_codes, errors)
    _unique(parsed, ReferenceKind.SUBJECTS, "code", known.subject_codes, errors)
    _unique(parsed, ReferenceKind.CERTIFICATE_TYPES, "code", known.certificate_type_codes, errors)
    _unique(parsed, ReferenceKind.REGISTRY_CERTIFICATES, "certificate_number", known.certificate_numbers,
            errors)
    for kind in (ReferenceKind.TEACHING_STAGES, ReferenceKind.SUBJECTS, ReferenceKind.CERTIFICATE_TYPES):
        _unique(parsed, kind, "name", frozenset(), errors)

    levels = dict(known.regions)
    levels.update({r.code: r.level for _, r in _items(parsed, ReferenceKind.REGIONS, Region)})
    _check_region_parents(parsed, levels, errors)
    authorities = known.authority_codes | {
        a.code for _, a in _items(parsed, ReferenceKind.AUTHORITIES, Authority)
    }
    cert_types = known.certificate_type_codes | {
        c.code for _, c in _items(parsed, ReferenceKind.CERTIFICATE_TYPES, CertificateType)
    }
    subjects = known.subject_codes | {s.code for _, s in _items(parsed, ReferenceKind.SUBJECTS, Subject)}

    file = ReferenceKind.AUTHORITIES.file_name
    for row, authority in _items(parsed, ReferenceKind.AUTHORITIES, Authority):
        if authority.region_code not in levels:
            errors.append(RowError(file, row, "region_code", "找不到这个行政区划", "no such region"))
    file = ReferenceKind.CONFIRMATION_POINTS.file_name
    for row, point in _items(parsed, ReferenceKind.CONFIRMATION_POINTS, ConfirmationPoint):
        if point.authority_code not in authorities:
            errors.append(RowError(file, row, "authority_code", "找不到这个注册机构", "no such authority"))
    file = ReferenceKind.REGISTRY_CERTIFICATES.file_name
    for row, cert in _items(parsed, ReferenceKind.REGISTRY_CERTIFICATES, RegistryCertificate):
        if cert.certificate_type_code not in cert_types:
            errors.append(RowError(file, row, "certificate_type_code", "找不到这个资格种类",
                                   "no such certificate type"))
        if cert.subject_code not in subjects:
            errors.append(RowError(file, row, "subject_code", "找不到这个学科", "no such subject"))
        if cert.province_code and levels.get(cert.province_code) is not RegionLevel.PROVINCE:
            errors.append(RowError(file, row, "province_code", "不是已有的省级区划代码",
                                   "not the code of a known province"))


def _check_region_parents(parsed: _Parsed, levels: Mapping[str, RegionLevel], errors: list[RowError]) -> None:
    file = ReferenceKind.REGIONS.file_name
    for row, region in _items(parsed, ReferenceKind.REGIONS, Region):
        rule = _PARENT_RULE.get(region.level)
        if rule is None or region.parent_code is None:
            continue
        parent_level, shared = rule
        if region.parent_code not in levels:
            errors.append(RowError(file, row, "parent_code", "找不到上级行政区划", "no such parent region"))
        elif levels[region.parent_code] is not parent_level:
            errors.append(RowError(file, row, "parent_code", "上级区划的级别不对",
                                   f"the parent must be a {parent_level.lower()}"))
        elif region.code[:shared] != region.parent_code[:shared]:
            errors.append(RowError(file, row, "code", f"代码前 {shared} 位应与上级区划相同",
                                   f"the first {shared} digits must match the parent's"))


def _unique(parsed: _Parsed, kind: ReferenceKind, attribute: str, stored: frozenset[str] | set[str],
            errors: list[RowError]) -> None:
    first_row: dict[str, int] = {}
    for row, item in parsed[kind]:
        value = getattr(item, attribute)
        if value in stored:
            errors.append(RowError(kind.file_name, row, attribute, "系统中已有相同代码",
                                   "already stored in the system"))
        elif value in first_row:
            errors.append(RowError(kind.file_name, row, attribute, f"与第 {first_row[value]} 行重复",
                                   f"duplicates row {first_row[value]}"))
        else:
            first_row[value] = row


def _items(parsed: _Parsed, kind: ReferenceKind, cls: type[T]) -> list[tuple[int, T]]:
    return [(row, item) for row, item in parsed[kind] if isinstance(item, cls)]


def _batch(parsed: _Parsed) -> ReferenceBatch:
    def only(kind: ReferenceKind, cls: type[T]) -> tuple[T, ...]:
        return tuple(item for _, item in _items(parsed, kind, cls))

    return ReferenceBatch(
        regions=tuple(sorted(only(ReferenceKind.REGIONS, Region), key=lambda r: _LEVEL_ORDER[r.level])),
        authorities=only(ReferenceKind.AUTHORITIES, Authority),
        confirmation_points=only(ReferenceKind.CONFIRMATION_POINTS, ConfirmationPoint),
        teaching_stages=only(ReferenceKind.TEACHING_STAGES, TeachingStage),
        subjects=only(ReferenceKind.SUBJECTS, Subject),
        certificate_types=only(ReferenceKind.CERTIFICATE_TYPES, CertificateType),
        registry_certificates=only(ReferenceKind.REGISTRY_CERTIFICATES, RegistryCertificate),
    )
