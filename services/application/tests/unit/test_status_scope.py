"""R-STAFF-4: staff act only on applications of their own organisation."""

from __future__ import annotations

import pytest
from servicekit.errors import PermissionDenied
from tqr_application.domain.roles import SYSTEM_ACTOR, Actor, Role, ensure_in_scope


def test_r_staff_4_authority_admin_acts_on_own_authority() -> None:
    admin = Actor(Role.AUTHORITY_ADMIN, "u1", "110108")
    ensure_in_scope(admin, authority_code="110108", point_code="11010801")


def test_r_staff_4_authority_admin_of_another_authority_is_denied() -> None:
    admin = Actor(Role.AUTHORITY_ADMIN, "u1", "110105")
    with pytest.raises(PermissionDenied) as caught:
        ensure_in_scope(admin, authority_code="110108", point_code="11010801")
    assert caught.value.code == "R-STAFF-4"


def test_r_staff_4_point_staff_acts_on_own_point() -> None:
    ensure_in_scope(Actor(Role.POINT_STAFF, "u2", "11010801"), authority_code="110108", point_code="11010801")


@pytest.mark.parametrize("point", ["11010802", None])
def test_r_staff_4_point_staff_of_another_point_is_denied(point: str | None) -> None:
    staff = Actor(Role.POINT_STAFF, "u2", "11010801")
    with pytest.raises(PermissionDenied) as caught:
        ensure_in_scope(staff, authority_code="110108", point_code=point)
    assert caught.value.code == "R-STAFF-4"


def test_r_staff_4_point_staff_with_the_authority_code_is_still_denied() -> None:
    # A point code that happens to equal the authority code grants nothing at authority level.
    staff = Actor(Role.POINT_STAFF, "u2", "110108")
    with pytest.raises(PermissionDenied):
        ensure_in_scope(staff, authority_code="110108", point_code="11010801")


def test_r_staff_4_unscoped_actors_pass_the_organisation_check() -> None:
    ensure_in_scope(SYSTEM_ACTOR, authority_code="110108", point_code=None)
    ensure_in_scope(Actor(Role.APPLICANT, "acc-1"), authority_code="110108", point_code=None)


@pytest.mark.parametrize("role", [Role.AUTHORITY_ADMIN, Role.POINT_STAFF])
def test_r_staff_4_scoped_roles_need_an_organisation(role: Role) -> None:
    with pytest.raises(ValueError):
        Actor(role, "u3")


def test_r_staff_4_applicant_has_no_organisation() -> None:
    with pytest.raises(ValueError):
        Actor(Role.APPLICANT, "acc-1", "110108")
