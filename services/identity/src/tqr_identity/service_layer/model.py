"""The account and its cases as the handlers see them (decrypted, plain Python, no I/O).

The colleague-owned ``domain`` package holds the document, contact and password rules; what is
here is the state the service keeps about an account and the states its cases move through.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from servicekit.masking import mask_mobile

from tqr_identity.domain.documents import DocumentType, Gender


class RealNameStatus(StrEnum):
    UNVERIFIED = "UNVERIFIED"
    VERIFIED = "VERIFIED"
    FAILED = "FAILED"
    PENDING_REVIEW = "PENDING_REVIEW"  # R-ID-9: a manual review is waiting for a reviewer


class CaseStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Decision(StrEnum):
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class SupportKind(StrEnum):
    CHANGE_CONTACT = "CHANGE_CONTACT"  # R-ID-11: the old mobile or email is lost
    CORRECT_NAME = "CORRECT_NAME"  # R-ID-10: a garbled name (rare characters)
    CORRECT_GENDER = "CORRECT_GENDER"  # R-ID-10: a wrong gender


class Role(StrEnum):
    APPLICANT = "APPLICANT"
    AUTHORITY_ADMIN = "AUTHORITY_ADMIN"
    POINT_STAFF = "POINT_STAFF"
    IDENTITY_REVIEWER = "IDENTITY_REVIEWER"
    SYSTEM_ADMIN = "SYSTEM_ADMIN"


STAFF_ROLES = frozenset(Role) - {Role.APPLICANT}
LONG_TERM = "LONG_TERM"  # an ID card valid without end date (长期)


@dataclass(frozen=True)
class Account:
    id: str
    document_type: DocumentType
    document_number: str  # clear only in memory; stored encrypted
    masked_document_number: str
    name: str
    mobile: str
    email: str
    password_hash: str
    agreement_version: str
    agreement_accepted_at: datetime
    real_name_status: RealNameStatus
    created_at: datetime
    updated_at: datetime
    gender: Gender | None = None
    birth_date: date | None = None
    ethnicity: str = ""
    document_valid_from: date | None = None
    document_valid_until: str = ""  # ISO date, LONG_TERM or ""
    real_name_checked_at: datetime | None = None

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def supplies_gender_and_birth_date(self) -> bool:
        """R-ID-10: holders of a permit (no embedded birth date) and HK/Macao/Taiwan residents."""
        return self.document_type.is_for_hkmo_or_taiwan_residents

    def with_changes(self, **changes: object) -> Account:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StoredPhoto:
    id: str
    owner_kind: str
    owner_id: str
    account_id: str
    content_type: str
    size_bytes: int


@dataclass(frozen=True)
class ManualReview:
    id: str
    account_id: str
    status: CaseStatus
    name: str
    note: str
    submitted_at: datetime
    due_date: date
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str = ""
    photo_ids: tuple[str, ...] = ()
    document_type: str = ""
    masked_document_number: str = ""
    escalated_at: datetime | None = None  # R-STAFF-10: past its due date, escalated to reviewers


@dataclass(frozen=True)
class SupportRequest:
    id: str
    account_id: str
    kind: SupportKind
    status: CaseStatus
    explanation: str
    created_at: datetime
    requested_name: str = ""
    requested_gender: str = ""
    requested_email: str = ""
    requested_mobile: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str = ""
    photo_ids: tuple[str, ...] = ()
    name: str = ""
    masked_document_number: str = ""
    without_sign_in: bool = False  # R-ID-11: only the document photo vouches for the sender
    claimed_name: str = ""  # the name the sender typed (requests without signing in)


@dataclass(frozen=True)
class StaffAccount:
    id: str
    username: str
    display_name: str
    password_hash: str
    totp_secret: str
    roles: tuple[str, ...]
    organisation_code: str
    active: bool
    must_enrol: bool = False  # R-STAFF-5: no sign-in before the password and TOTP are set up
    setup_code_hash: str | None = None
    setup_code_expires_at: datetime | None = None
    recovery_code_hashes: tuple[str, ...] = ()

    @property
    def role(self) -> str:
        return self.roles[0] if self.roles else ""

    @property
    def totp_enrolled(self) -> bool:
        return bool(self.totp_secret)
