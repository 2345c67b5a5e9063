"""What is printed on the application form (教师资格定期注册申请表, R-APP-5).

The application service owns the data; the documents service receives a snapshot of it, renders it
as PDF or Word, and caches the result under ``ApplicationForm.content_hash()``.

Decision on the identity document number: the form prints ``document_number`` exactly as the caller
gives it. The official paper form carries the full number (the applicant signs it and staff compare
it with the original document at the confirmation point), and only the owner may download it, so the
application service is expected to pass the full number. Because it is personal data, the number,
mobile, e-mail and photo are left out of ``repr()`` so that a logged form does not leak them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from servicekit.masking import looks_masked

# Application numbers are printed in a QR code (alphanumeric mode) and in file names: keep them plain.
APPLICATION_NUMBER_PATTERN = re.compile(r"[0-9A-Z-]{1,40}")

# Bumped whenever the canonical serialisation changes, so that old cache entries stop matching.
CONTENT_HASH_VERSION = 1


@dataclass(frozen=True)
class CertificateInfo:
    """The teacher qualification certificate, as printed on it (or taken from the registry)."""

    number: str
    type_name: str  # e.g. 高级中学教师资格
    subject: str  # 任教学科 on the certificate; "无" when it names none
    issuing_body: str
    issue_date: date


@dataclass(frozen=True)
class ConfirmationArrangement:
    """Where the application goes: the authority, and the point where paper materials are handed in."""

    authority_name: str
    point_name: str
    point_address: str
    window_start: datetime  # aware; the point's confirmation window
    window_end: datetime
    # R-SLOT-2: the appointment slot booked at the point (aware), when the point publishes slots.
    appointment_start: datetime | None = None
    appointment_end: datetime | None = None


@dataclass(frozen=True)
class CurrentPost:
    """The applicant's current post (现任职务)."""

    school: str
    post: str
    teaching_stage: str  # 学段, e.g. 小学
    subject: str
    employment_start: date


@dataclass(frozen=True)
class WorkHistoryEntry:
    """One row of the five-year work history; ``end`` is None for the current post (至今)."""

    start: date
    end: date | None
    school: str
    post: str


@dataclass(frozen=True)
class AnnualAssessment:
    """The result of one year's annual assessment (年度考核), e.g. 优秀 / 合格."""

    year: int
    result: str


@dataclass(frozen=True)
class ApplicationForm:
    """Everything printed on one application form."""

    application_number: str
    applicant_name: str
    gender: str
    ethnicity: str
    birth_date: date
    document_type: str  # the label, e.g. 居民身份证
    certificate: CertificateInfo
    arrangement: ConfirmationArrangement
    current_post: CurrentPost
    work_history: tuple[WorkHistoryEntry, ...]
    annual_assessments: tuple[AnnualAssessment, ...]
    ethics_assessment: str
    continuing_education_hours: int
    submitted_at: datetime  # aware
    status_label: str
    document_number: str = field(default="", repr=False)  # printed as given, see module docstring
    mobile_masked: str = field(default="", repr=False)  # must already be masked, e.g. 138****5678
    email: str = field(default="", repr=False)
    photo: bytes | None = field(default=None, repr=False)  # registry photo (JPEG/PNG), if any

    def __post_init__(self) -> None:
        if not APPLICATION_NUMBER_PATTERN.fullmatch(self.application_number):
            raise ValueError("application_number must be 1-40 upper-case letters, digits or hyphens")
        if not looks_masked(self.mobile_masked):
            # Never echo the value: it would be a clear mobile number in a log line.
            raise ValueError("mobile_masked must be masked before it reaches the form")
        if self.continuing_education_hours < 0:
            raise ValueError("continuing_education_hours must not be negative")
        for name, instant in (
            ("submitted_at", self.submitted_at),
            ("arrangement.window_start", self.arrangement.window_start),
            ("arrangement.window_end", self.arrangement.window_end),
        ):
            if instant.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        # Accept lists from callers but keep the form immutable (and hashable by content).
        object.__setattr__(self, "work_history", tuple(self.work_history))
        object.__setattr__(self, "annual_assessments", tuple(self.annual_assessments))

    def content_hash(self) -> str:
        """SHA-256 (hex) over a canonical serialisation of every printed value, photo included.

        Two forms with the same hash print the same document, so it is the render cache key.
        """
        payload = json.dumps(
            self._canonical(), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode("utf-8")
        return hashlib.sha256(payload).hexdigest()

    def _canonical(self) -> dict[str, Any]:
        return {
            "v": CONTENT_HASH_VERSION,
            "application_number": self.application_number,
            "applicant_name": self.applicant_name,
            "gender": self.gender,
            "ethnicity": self.ethnicity,
            "birth_date": self.birth_date.isoformat(),
            "document_type": self.document_type,
            "document_number": self.document_number,
            "mobile_masked": self.mobile_masked,
            "email": self.email,
            "certificate": {
                "number": self.certificate.number,
                "type_name": self.certificate.type_name,
                "subject": self.certificate.subject,
                "issuing_body": self.certificate.issuing_body,
                "issue_date": self.certificate.issue_date.isoformat(),
            },
            "arrangement": {
                "authority_name": self.arrangement.authority_name,
                "point_name": self.arrangement.point_name,
                "point_address": self.arrangement.point_address,
                "window_start": _utc(self.arrangement.window_start),
                "window_end": _utc(self.arrangement.window_end),
                # Only when booked, so forms without an appointment keep their earlier hash.
                **({"appointment": [_utc(self.arrangement.appointment_start),
                                    _utc(self.arrangement.appointment_end or self.arrangement.appointment_start)]}
                   if self.arrangement.appointment_start else {}),
            },
            "current_post": {
                "school": self.current_post.school,
                "post": self.current_post.post,
                "teaching_stage": self.current_post.teaching_stage,
                "subject": self.current_post.subject,
                "employment_start": self.current_post.employment_start.isoformat(),
            },
            "work_history": [
                [w.start.isoformat(), w.end.isoformat() if w.end else None, w.school, w.post]
                for w in self.work_history
            ],
            "annual_assessments": [[a.year, a.result] for a in self.annual_assessments],
            "ethics_assessment": self.ethics_assessment,
            "continuing_education_hours": self.continuing_education_hours,
            "submitted_at": _utc(self.submitted_at),
            "status_label": self.status_label,
            "photo_sha256": hashlib.sha256(self.photo).hexdigest() if self.photo else None,
        }


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()
