"""Who acts on an application, and the organisation scope of staff (R-STAFF-1..4).

An ``Actor`` is what the service layer builds from the caller's verified identity; the domain
never trusts a role or organisation that came from the request body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from servicekit.errors import PermissionDenied


class Role(StrEnum):
    APPLICANT = "APPLICANT"  # the certificate holder, acting on their own application
    AUTHORITY_ADMIN = "AUTHORITY_ADMIN"  # staff of a registration authority (注册机构)
    POINT_STAFF = "POINT_STAFF"  # staff of an on-site confirmation point (现场确认点)
    IDENTITY_REVIEWER = "IDENTITY_REVIEWER"  # decides manual identity reviews; no application actions
    SYSTEM_ADMIN = "SYSTEM_ADMIN"  # guiding-centre staff: reference data (R-REF-1), not decisions
    SYSTEM = "SYSTEM"  # the system itself (scheduled jobs, migrations)


# Roles whose every action is limited to one organisation (R-STAFF-4).
ORGANISATION_SCOPED_ROLES: frozenset[Role] = frozenset({Role.AUTHORITY_ADMIN, Role.POINT_STAFF})

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.APPLICANT: ("申请人", "Applicant"),
    Role.AUTHORITY_ADMIN: ("注册机构管理员", "Registration authority administrator"),
    Role.POINT_STAFF: ("现场确认点工作人员", "Confirmation point staff"),
    Role.IDENTITY_REVIEWER: ("身份审核员", "Identity reviewer"),
    Role.SYSTEM_ADMIN: ("系统管理员", "System administrator"),
    Role.SYSTEM: ("系统", "System"),
}


@dataclass(frozen=True)
class Actor:
    """The person (or the system) doing something.

    ``subject_id`` is the account id (applicant) or staff user id; ``organisation_code`` is the
    authority code of an AUTHORITY_ADMIN or the point code of a POINT_STAFF member, and empty for
    every other role.
    """

    role: Role
    subject_id: str
    organisation_code: str = ""

    def __post_init__(self) -> None:
        if not self.subject_id:
            raise ValueError("an actor needs a subject id")
        if self.role in ORGANISATION_SCOPED_ROLES and not self.organisation_code:
            raise ValueError(f"a {self.role} actor needs an organisation code")
        if self.role not in ORGANISATION_SCOPED_ROLES and self.organisation_code:
            raise ValueError(f"a {self.role} actor has no organisation")

    @property
    def label_zh(self) -> str:
        return ROLE_LABELS[self.role][0]

    @property
    def label_en(self) -> str:
        return ROLE_LABELS[self.role][1]


SYSTEM_ACTOR = Actor(role=Role.SYSTEM, subject_id="system")


def ensure_in_scope(actor: Actor, *, authority_code: str, point_code: str | None) -> None:
    """R-STAFF-4: staff act only on applications of their own organisation.

    ``authority_code`` and ``point_code`` are the application's *current* authority and point
    (after a CORRECT_AUTHORITY they change, and so does who may act on it). An AUTHORITY_ADMIN
    must belong to that authority; a POINT_STAFF member to that point. Other roles are not
    organisation-scoped here: the applicant's ownership is checked by the service layer against
    the account, and the transition table decides what each role may do at all.
    """
    if actor.role is Role.AUTHORITY_ADMIN and actor.organisation_code != authority_code:
        raise PermissionDenied(
            "R-STAFF-4",
            "该申请不属于您所在的注册机构，您不能处理",
            "This application belongs to another registration authority; you cannot act on it",
        )
    if actor.role is Role.POINT_STAFF and (point_code is None or actor.organisation_code != point_code):
        raise PermissionDenied(
            "R-STAFF-4",
            "该申请不属于您所在的现场确认点，您不能处理",
            "This application belongs to another confirmation point; you cannot act on it",
        )
