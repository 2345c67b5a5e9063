"""Who may do what: staff roles (R-STAFF-3) and ownership of photos."""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.errors import PermissionDenied

from tqr_identity.service_layer.model import Role


@dataclass(frozen=True)
class Caller:
    """The caller as the gateway stated it in the metadata (an applicant or a staff member)."""

    subject_id: str
    role: str
    organisation_code: str = ""


def not_allowed() -> PermissionDenied:
    return PermissionDenied("R-STAFF-3", "您的账号不能使用此功能", "Your account cannot use this function")


def require_applicant(caller: Caller) -> str:
    if caller.role != Role.APPLICANT.value:
        raise not_allowed()
    return caller.subject_id


def require_reviewer(caller: Caller) -> Caller:
    """R-STAFF-3: manual reviews and support requests are decided by identity reviewers."""
    if caller.role != Role.IDENTITY_REVIEWER.value:
        raise not_allowed()
    return caller
