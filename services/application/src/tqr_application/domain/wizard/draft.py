"""The wizard's draft: everything answered so far, kept on the server between requests.

A ``Draft`` is immutable; every wizard operation returns a new one. ``to_dict`` / ``from_dict``
give the JSON-able form the service stores. It holds no document number in clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from servicekit.errors import PermissionDenied

from tqr_application.domain.wizard.answers import (
    AuthorityChoice,
    CertificateData,
    CertificateNumberAnswer,
    Materials,
)
from tqr_application.domain.wizard.steps import ANSWERABLE_STEPS, Step

SCHEMA_VERSION = 1


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class SubmissionRecord:
    application_number: str
    submitted_at: datetime


@dataclass(frozen=True)
class Draft:
    draft_id: str
    owner_subject_id: str
    created_at: datetime
    updated_at: datetime
    current_step: Step = Step.MUST_READ
    must_read_shown_at: datetime | None = None  # step 1 (R-WIZ-1)
    must_read_done_at: datetime | None = None
    terms_accepted_at: datetime | None = None  # step 2 (R-WIZ-2)
    certificate_number: CertificateNumberAnswer | None = None  # step 3 (R-WIZ-3)
    certificate: CertificateData | None = None  # step 4 (R-WIZ-4); locked when from the registry
    authority: AuthorityChoice | None = None  # step 4
    point_code: str | None = None  # step 5 (R-WIZ-5)
    notes_read_at: datetime | None = None  # step 6 (R-WIZ-6)
    materials: Materials | None = None  # step 7 (R-WIZ-7)
    overridden_warnings: tuple[str, ...] = field(default=())
    submission: SubmissionRecord | None = None  # step 8 (R-WIZ-8)

    @property
    def certificate_locked(self) -> bool:
        return self.certificate is not None and self.certificate.locked

    @property
    def submitted(self) -> bool:
        return self.submission is not None

    def is_complete(self, step: Step) -> bool:
        """Whether ``step`` has a saved, whole answer (not whether it is still valid today)."""
        if step is Step.MUST_READ:
            return self.must_read_done_at is not None
        if step is Step.TERMS:
            return self.terms_accepted_at is not None
        if step is Step.CERTIFICATE_AND_ID:
            return self.certificate_number is not None
        if step is Step.CERTIFICATE_DATA_AND_AUTHORITY:
            return (self.certificate is not None and not self.certificate.missing_registry_fields
                    and self.authority is not None)
        if step is Step.CONFIRMATION_POINT:
            return self.point_code is not None
        if step is Step.NOTES:
            return self.notes_read_at is not None
        if step is Step.MATERIALS:
            return self.materials is not None
        return self.submission is not None

    def first_unfinished(self, before: Step | None = None) -> Step | None:
        """The first answerable step without an answer (only those before ``before`` if given)."""
        for step in ANSWERABLE_STEPS:
            if before is not None and step >= before:
                return None
            if not self.is_complete(step):
                return step
        return None

    def ensure_owner(self, subject_id: str) -> None:
        if subject_id != self.owner_subject_id:
            raise PermissionDenied("R-WIZ", "这份申报草稿不属于您的账号", "This draft belongs to another account")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "draft_id": self.draft_id,
            "owner_subject_id": self.owner_subject_id,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "current_step": int(self.current_step),
            "must_read_shown_at": _iso(self.must_read_shown_at),
            "must_read_done_at": _iso(self.must_read_done_at),
            "terms_accepted_at": _iso(self.terms_accepted_at),
            "certificate_number": self.certificate_number.to_dict() if self.certificate_number else None,
            "certificate": self.certificate.to_dict() if self.certificate else None,
            "authority": self.authority.to_dict() if self.authority else None,
            "point_code": self.point_code,
            "notes_read_at": _iso(self.notes_read_at),
            "materials": self.materials.to_dict() if self.materials else None,
            "overridden_warnings": list(self.overridden_warnings),
            "submission": {"application_number": self.submission.application_number,
                           "submitted_at": self.submission.submitted_at.isoformat()} if self.submission else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Draft:
        if d.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unknown draft schema {d.get('schema')!r}")
        submission = d.get("submission")
        return cls(
            draft_id=d["draft_id"],
            owner_subject_id=d["owner_subject_id"],
            created_at=datetime.fromisoformat(d["created_at"]),
            updated_at=datetime.fromisoformat(d["updated_at"]),
            current_step=Step(d["current_step"]),
            must_read_shown_at=_dt(d.get("must_read_shown_at")),
            must_read_done_at=_dt(d.get("must_read_done_at")),
            terms_accepted_at=_dt(d.get("terms_accepted_at")),
            certificate_number=(CertificateNumberAnswer.from_dict(d["certificate_number"])
                                if d.get("certificate_number") else None),
            certificate=CertificateData.from_dict(d["certificate"]) if d.get("certificate") else None,
            authority=AuthorityChoice.from_dict(d["authority"]) if d.get("authority") else None,
            point_code=d.get("point_code"),
            notes_read_at=_dt(d.get("notes_read_at")),
            materials=Materials.from_dict(d["materials"]) if d.get("materials") else None,
            overridden_warnings=tuple(d.get("overridden_warnings") or ()),
            submission=SubmissionRecord(submission["application_number"],
                                        datetime.fromisoformat(submission["submitted_at"])) if submission else None,
        )


def new_draft(draft_id: str, owner_subject_id: str, now: datetime) -> Draft:
    """A fresh draft; the must-read page is shown now, so its 3 s start counting (R-WIZ-1)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return Draft(draft_id=draft_id, owner_subject_id=owner_subject_id, created_at=now, updated_at=now,
                 must_read_shown_at=now)
