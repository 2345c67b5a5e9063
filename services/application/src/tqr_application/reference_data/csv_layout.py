"""The CSV files of reference data: one file per kind, UTF-8 (a BOM from Excel is accepted),
comma-separated, first line the header below (column order is free, names are not).

- ``regions.csv``: code (6 digits, GB/T 2260), name, level (PROVINCE/CITY/COUNTY),
  parent_code (empty for a province)
- ``authorities.csv``: code (6 digits, used in application numbers), name, region_code,
  address, phone
- ``confirmation_points.csv``: code, authority_code, name, address, phone, scope
- ``teaching_stages.csv``, ``subjects.csv``, ``certificate_types.csv``: code, name
  (the subject "无" is valid for certificates that name none)
- ``registry_certificates.csv``: certificate_number (15 or 17 digits), holder_name,
  document_type (identity service code, e.g. ID_CARD), document_number, certificate_type_code,
  subject_code, issuing_body, issue_date (YYYY-MM-DD), gender (M/F/empty), birth_date
  (YYYY-MM-DD or empty), province_code (a province's region code or empty),
  photo_png_base64 (empty or a base64 PNG)

Codes of stages, subjects, certificate types and points: letters, digits, "_" and "-", at most
32 characters. Data rows are numbered as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from tqr_application.domain.reference import (
    Authority,
    CertificateType,
    ConfirmationPoint,
    Region,
    RegistryCertificate,
    Subject,
    TeachingStage,
)


class ReferenceKind(StrEnum):
    REGIONS = "regions"
    AUTHORITIES = "authorities"
    CONFIRMATION_POINTS = "confirmation_points"
    TEACHING_STAGES = "teaching_stages"
    SUBJECTS = "subjects"
    CERTIFICATE_TYPES = "certificate_types"
    REGISTRY_CERTIFICATES = "registry_certificates"

    @property
    def file_name(self) -> str:
        return f"{self.value}.csv"


HEADERS: dict[ReferenceKind, tuple[str, ...]] = {
    ReferenceKind.REGIONS: ("code", "name", "level", "parent_code"),
    ReferenceKind.AUTHORITIES: ("code", "name", "region_code", "address", "phone"),
    ReferenceKind.CONFIRMATION_POINTS: ("code", "authority_code", "name", "address", "phone", "scope"),
    ReferenceKind.TEACHING_STAGES: ("code", "name"),
    ReferenceKind.SUBJECTS: ("code", "name"),
    ReferenceKind.CERTIFICATE_TYPES: ("code", "name"),
    ReferenceKind.REGISTRY_CERTIFICATES: (
        "certificate_number", "holder_name", "document_type", "document_number",
        "certificate_type_code", "subject_code", "issuing_body", "issue_date", "gender",
        "birth_date", "province_code", "photo_png_base64",
    ),
}

KIND_LABELS: dict[ReferenceKind, tuple[str, str]] = {
    ReferenceKind.REGIONS: ("行政区划", "regions"),
    ReferenceKind.AUTHORITIES: ("注册机构", "registration authorities"),
    ReferenceKind.CONFIRMATION_POINTS: ("现场确认点", "confirmation points"),
    ReferenceKind.TEACHING_STAGES: ("学段", "teaching stages"),
    ReferenceKind.SUBJECTS: ("任教学科", "subjects"),
    ReferenceKind.CERTIFICATE_TYPES: ("资格种类", "certificate types"),
    ReferenceKind.REGISTRY_CERTIFICATES: ("证书信息", "registry certificates"),
}


@dataclass(frozen=True)
class ReferenceBatch:
    """A complete, validated set of rows, ready to be written in one transaction.

    Regions are ordered parents first, so they can be inserted in order."""

    regions: tuple[Region, ...] = ()
    authorities: tuple[Authority, ...] = ()
    confirmation_points: tuple[ConfirmationPoint, ...] = ()
    teaching_stages: tuple[TeachingStage, ...] = ()
    subjects: tuple[Subject, ...] = ()
    certificate_types: tuple[CertificateType, ...] = ()
    registry_certificates: tuple[RegistryCertificate, ...] = field(default=(), repr=False)

    def counts(self) -> dict[ReferenceKind, int]:
        return {kind: len(rows_of(self, kind)) for kind in ReferenceKind}


def rows_of(batch: ReferenceBatch, kind: ReferenceKind) -> tuple[object, ...]:
    return tuple(getattr(batch, kind.value))


def _cells(kind: ReferenceKind, item: object) -> list[str]:
    if isinstance(item, RegistryCertificate):
        return [
            item.certificate_number, item.holder_name, item.document_type, item.document_number,
            item.certificate_type_code, item.subject_code, item.issuing_body, item.issue_date.isoformat(),
            item.gender, item.birth_date.isoformat() if item.birth_date else "", item.province_code,
            base64.b64encode(item.photo).decode("ascii") if item.photo else "",
        ]
    values = [getattr(item, column) for column in HEADERS[kind]]
    return ["" if v is None else str(v) for v in values]


def to_csv_text(kind: ReferenceKind, items: Iterable[object]) -> str:
    """The CSV text of one kind, in the layout the importer reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS[kind])
    for item in items:
        writer.writerow(_cells(kind, item))
    return out.getvalue()
