"""R-STAFF-5: which staff accounts an administrator may manage.

A system administrator manages authority administrators and identity reviewers; an authority
administrator manages the administrators of its own authority and the staff of its confirmation
points. Identity holds no reference data, so a point belongs to an authority by its code: a point's
code is its authority's code followed by the point's own digits (110108 → 11010801), as every point
in the reference data is numbered.
"""

from __future__ import annotations

import re

from tqr_identity.service_layer.model import Role

ORGANISATION_CODE = re.compile(r"^[0-9A-Za-z]{1,40}$")

MANAGED_BY = {
    Role.SYSTEM_ADMIN.value: frozenset({Role.AUTHORITY_ADMIN.value, Role.IDENTITY_REVIEWER.value}),
    Role.AUTHORITY_ADMIN.value: frozenset({Role.AUTHORITY_ADMIN.value, Role.POINT_STAFF.value}),
}


def is_point_of(point_code: str, authority_code: str) -> bool:
    return bool(authority_code) and len(point_code) > len(authority_code) and point_code.startswith(authority_code)


def may_manage(actor_role: str, actor_organisation: str, role: str, organisation_code: str) -> bool:
    """True when an actor of ``actor_role`` in ``actor_organisation`` may manage an account of
    ``role`` in ``organisation_code`` (and so create one like it)."""
    if role not in MANAGED_BY.get(actor_role, frozenset()):
        return False
    if actor_role == Role.SYSTEM_ADMIN.value:
        return True
    if role == Role.AUTHORITY_ADMIN.value:
        return organisation_code == actor_organisation != ""
    return is_point_of(organisation_code, actor_organisation)


def organisation_required(role: str) -> bool:
    """Reviewers work for the whole system; authority and point staff belong to one organisation."""
    return role in (Role.AUTHORITY_ADMIN.value, Role.POINT_STAFF.value)
