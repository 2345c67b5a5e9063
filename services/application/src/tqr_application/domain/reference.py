"""Reference data: places, organisations and the code lists the wizard offers.

Plain value objects. The application service owns them; a province loads its own with the CSV
importer, and development uses the demo data set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class RegionLevel(StrEnum):
    PROVINCE = "PROVINCE"
    CITY = "CITY"
    COUNTY = "COUNTY"


@dataclass(frozen=True)
class Region:
    code: str  # GB/T 2260 six-digit administrative division code, e.g. "110105"
    name: str
    level: RegionLevel
    parent_code: str | None


@dataclass(frozen=True)
class Authority:
    """A registration authority (注册机构), usually a county or district education bureau."""

    code: str
    name: str
    region_code: str
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ConfirmationPoint:
    """An on-site confirmation point (现场确认点) of one authority."""

    code: str
    authority_code: str
    name: str
    address: str
    phone: str
    scope: str  # who should go here, in the authority's words


@dataclass(frozen=True)
class TeachingStage:
    code: str  # e.g. "PRIMARY"
    name: str  # e.g. "小学"


@dataclass(frozen=True)
class Subject:
    code: str
    name: str  # "无" is a valid subject for certificates that name none


@dataclass(frozen=True)
class CertificateType:
    code: str
    name: str  # e.g. "高级中学教师资格"


@dataclass(frozen=True)
class RegistryCertificate:
    """A certificate already on record; a (number, document number) match fills and locks the
    certificate section of the wizard."""

    certificate_number: str
    holder_name: str
    document_type: str  # a DocumentType code of the identity service, e.g. "ID_CARD"
    document_number: str  # personal data: stored encrypted by the adapter, never logged
    certificate_type_code: str
    subject_code: str
    issuing_body: str
    issue_date: date
    gender: str = ""  # "M" / "F" / "" when not recorded
    birth_date: date | None = None
    province_code: str = ""  # region code of the issuing province
    photo: bytes | None = None
