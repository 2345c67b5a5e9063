"""Typed answers of the wizard steps, each convertible to and from a JSON-able dict.

Document numbers never appear here in clear: the draft keeps the account's document type and a
masked number; the service layer takes the full number from the account when it stores the
application.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tqr_application.domain.reference import RegistryCertificate


def _date_or_none(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class CertificateNumberAnswer:
    """Step 3: the certificate number and whose document it goes with (R-WIZ-3)."""

    certificate_number: str
    document_type: str
    document_number_masked: str
    registry_matched: bool

    def to_dict(self) -> dict[str, Any]:
        return {"certificate_number": self.certificate_number, "document_type": self.document_type,
                "document_number_masked": self.document_number_masked, "registry_matched": self.registry_matched}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CertificateNumberAnswer:
        return cls(d["certificate_number"], d["document_type"], d["document_number_masked"],
                   bool(d["registry_matched"]))


@dataclass(frozen=True)
class CertificateData:
    """Step 4: the certificate as printed on it, or as the registry holds it (``locked``).

    ``gender`` is "M" or "F" ("" only when a locked registry record does not have it and the
    applicant has not supplied it yet); ``province_code`` comes from the registry only.
    """

    holder_name: str
    gender: str
    birth_date: date | None
    certificate_type_code: str
    subject_code: str
    issuing_body: str
    issue_date: date
    locked: bool = False
    province_code: str = ""
    has_photo: bool = False

    @classmethod
    def from_registry(cls, record: RegistryCertificate) -> CertificateData:
        return cls(
            holder_name=record.holder_name, gender=record.gender, birth_date=record.birth_date,
            certificate_type_code=record.certificate_type_code, subject_code=record.subject_code,
            issuing_body=record.issuing_body, issue_date=record.issue_date, locked=True,
            province_code=record.province_code, has_photo=record.photo is not None,
        )

    @property
    def missing_registry_fields(self) -> tuple[str, ...]:
        """Fields a locked registry record lacks; the applicant supplies only these at step 4."""
        missing: list[str] = []
        if self.gender not in ("M", "F"):
            missing.append("gender")
        if self.birth_date is None:
            missing.append("birth_date")
        return tuple(missing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "holder_name": self.holder_name, "gender": self.gender,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "certificate_type_code": self.certificate_type_code, "subject_code": self.subject_code,
            "issuing_body": self.issuing_body, "issue_date": self.issue_date.isoformat(), "locked": self.locked,
            "province_code": self.province_code, "has_photo": self.has_photo,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CertificateData:
        return cls(
            holder_name=d["holder_name"], gender=d["gender"], birth_date=_date_or_none(d.get("birth_date")),
            certificate_type_code=d["certificate_type_code"], subject_code=d["subject_code"],
            issuing_body=d["issuing_body"], issue_date=date.fromisoformat(d["issue_date"]),
            locked=bool(d.get("locked", False)), province_code=d.get("province_code", ""),
            has_photo=bool(d.get("has_photo", False)),
        )


@dataclass(frozen=True)
class AuthorityChoice:
    """Step 4: the registration authority (and its plan in force), the current stage and subject."""

    authority_code: str
    plan_id: str
    teaching_stage_code: str
    teaching_subject_code: str

    def to_dict(self) -> dict[str, Any]:
        return {"authority_code": self.authority_code, "plan_id": self.plan_id,
                "teaching_stage_code": self.teaching_stage_code, "teaching_subject_code": self.teaching_subject_code}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuthorityChoice:
        return cls(d["authority_code"], d["plan_id"], d["teaching_stage_code"], d["teaching_subject_code"])


@dataclass(frozen=True)
class WorkPeriod:
    """One period of the five-year work history; ``end`` None means "to the present"."""

    start: date
    end: date | None
    school: str
    post: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat() if self.end else "",
                "school": self.school, "post": self.post}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WorkPeriod:
        return cls(date.fromisoformat(d["start"]), _date_or_none(d.get("end")), d["school"], d["post"])


@dataclass(frozen=True)
class AnnualAssessment:
    year: int
    result: str  # one of ANNUAL_RESULTS

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "result": self.result}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AnnualAssessment:
        return cls(int(d["year"]), d["result"])


# Grades of the annual assessment of staff of public institutions (事业单位年度考核); 不定等次 is
# given to people who joined in the year.
# 未考核 is for a year the applicant was not employed (a gap the eligibility pre-check looks at).
ANNUAL_RESULTS: tuple[str, ...] = ("优秀", "合格", "基本合格", "不合格", "不定等次", "未考核")
ETHICS_RESULTS: tuple[str, ...] = ("优秀", "合格", "基本合格", "不合格")
FAILED = "不合格"
NOT_ASSESSED = "未考核"
CYCLE_YEARS = 5


def cycle_start(today: date) -> date:
    """The first day of the five-year registration cycle that ends ``today`` (Beijing date)."""
    try:
        return today.replace(year=today.year - CYCLE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - CYCLE_YEARS, day=28)


def assessment_years(today: date) -> tuple[int, ...]:
    """The five whole calendar years before this one: their annual assessments are asked for."""
    return tuple(range(today.year - CYCLE_YEARS, today.year))


@dataclass(frozen=True)
class Materials:
    """Step 7: contact and current-work sections (R-WIZ-7)."""

    email: str
    school: str
    post: str
    employment_start: date
    work_history: tuple[WorkPeriod, ...]
    annual_assessments: tuple[AnnualAssessment, ...]
    ethics_assessment: str
    continuing_education_hours: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email, "school": self.school, "post": self.post,
            "employment_start": self.employment_start.isoformat(),
            "work_history": [p.to_dict() for p in self.work_history],
            "annual_assessments": [a.to_dict() for a in self.annual_assessments],
            "ethics_assessment": self.ethics_assessment,
            "continuing_education_hours": self.continuing_education_hours,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Materials:
        return cls(
            email=d["email"], school=d["school"], post=d["post"],
            employment_start=date.fromisoformat(d["employment_start"]),
            work_history=tuple(WorkPeriod.from_dict(p) for p in d["work_history"]),
            annual_assessments=tuple(AnnualAssessment.from_dict(a) for a in d["annual_assessments"]),
            ethics_assessment=d["ethics_assessment"],
            continuing_education_hours=int(d["continuing_education_hours"]),
        )
