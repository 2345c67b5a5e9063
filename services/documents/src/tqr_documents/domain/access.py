"""Who may take a document, decided on the caller as the gateway forwarded it (R-APP-5, R-STAFF-4).

The application service owns the application and the staff scopes; this module only sorts callers
into the kinds the documents service treats differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from servicekit.errors import NotFound, PermissionDenied


class Role(StrEnum):
    APPLICANT = "APPLICANT"
    AUTHORITY_ADMIN = "AUTHORITY_ADMIN"
    POINT_STAFF = "POINT_STAFF"
    IDENTITY_REVIEWER = "IDENTITY_REVIEWER"
    SYSTEM_ADMIN = "SYSTEM_ADMIN"
    SYSTEM = "SYSTEM"


STAFF_ROLES = frozenset({Role.AUTHORITY_ADMIN, Role.POINT_STAFF})


@dataclass(frozen=True)
class Caller:
    """The Actor of the call: account id, role, and for scoped staff their authority or point code."""

    subject_id: str
    role: str
    organisation_code: str = ""

    @property
    def is_applicant(self) -> bool:
        return self.role == Role.APPLICANT

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


def application_not_found() -> NotFound:
    """Also the answer to another applicant's application: the caller may not learn that it exists."""
    return NotFound("APPLICATION_NOT_FOUND", "找不到该申请", "No such application")


def ensure_owner(caller: Caller, applicant_id: str) -> None:
    """R-APP-5: an applicant downloads only their own form."""
    if not caller.subject_id or caller.subject_id != applicant_id:
        raise application_not_found()


def refuse_role() -> PermissionDenied:
    return PermissionDenied("R-STAFF-4", "您的账号不能使用此功能", "Your account cannot use this function")


def ensure_may_export(caller: Caller, point_code: str, authority_points: frozenset[str] | None) -> None:
    """R-STAFF-4: point staff export their own point; an authority admin the points of their authority.

    ``authority_points`` is the point codes of the admin's authority (None for point staff).
    """
    if caller.role == Role.POINT_STAFF and caller.organisation_code == point_code:
        return
    if caller.role == Role.AUTHORITY_ADMIN and authority_points is not None and point_code in authority_points:
        return
    if caller.is_staff:
        raise PermissionDenied(
            "R-STAFF-4",
            "该确认点不属于您所在的机构，不能导出",
            "This confirmation point is not in your organisation; you cannot export it",
        )
    raise refuse_role()
