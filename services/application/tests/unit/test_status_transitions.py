"""R-APP-2: the status workflow, proved against an expected table written from DOMAIN.md."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from servicekit.errors import InvalidInput, PermissionDenied, RuleViolation
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.status import (
    STATUS_INFO,
    TRANSITIONS,
    allowed_actions,
    apply_transition,
)
from tqr_application.domain.status import ApplicationStatus as S
from tqr_application.domain.status import StatusAction as A

NOW = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)
P, AU, AP = Role.POINT_STAFF, Role.AUTHORITY_ADMIN, Role.APPLICANT

# (from, action) -> (roles allowed, to). Written independently of the code under test.
EXPECTED: dict[tuple[S, A], tuple[frozenset[Role], S]] = {
    (S.SUBMITTED, A.CONFIRM_ON_SITE): (frozenset({P}), S.CONFIRMED),
    (S.SUBMITTED, A.MARK_MATERIALS_INCOMPLETE): (frozenset({P}), S.MATERIALS_INCOMPLETE),
    (S.SUBMITTED, A.MARK_WRONG_AUTHORITY): (frozenset({P, AU}), S.WRONG_AUTHORITY),
    (S.SUBMITTED, A.MARK_NOT_ELIGIBLE): (frozenset({P, AU}), S.NOT_ELIGIBLE),
    (S.SUBMITTED, A.WITHDRAW): (frozenset({AP}), S.WITHDRAWN),
    (S.MATERIALS_INCOMPLETE, A.CONFIRM_ON_SITE): (frozenset({P}), S.CONFIRMED),
    (S.MATERIALS_INCOMPLETE, A.MARK_MATERIALS_INCOMPLETE): (frozenset({P}), S.MATERIALS_INCOMPLETE),
    (S.MATERIALS_INCOMPLETE, A.MARK_WRONG_AUTHORITY): (frozenset({P, AU}), S.WRONG_AUTHORITY),
    (S.MATERIALS_INCOMPLETE, A.MARK_NOT_ELIGIBLE): (frozenset({P, AU}), S.NOT_ELIGIBLE),
    (S.CONFIRMED, A.APPROVE_REGISTERED): (frozenset({AU}), S.REGISTERED),
    (S.CONFIRMED, A.DEFER): (frozenset({AU}), S.DEFERRED),
    (S.CONFIRMED, A.REJECT): (frozenset({AU}), S.REJECTED),
    (S.CONFIRMED, A.MARK_NOT_ELIGIBLE): (frozenset({AU}), S.NOT_ELIGIBLE),
    (S.CONFIRMED, A.MARK_WRONG_AUTHORITY): (frozenset({AU}), S.WRONG_AUTHORITY),
    (S.WRONG_AUTHORITY, A.CORRECT_AUTHORITY): (frozenset({AP}), S.SUBMITTED),
    (S.WRONG_AUTHORITY, A.WITHDRAW): (frozenset({AP}), S.WITHDRAWN),
    # R-APP-9: the system, at the end of the point's confirmation window.
    (S.SUBMITTED, A.EXPIRE_UNCONFIRMED): (frozenset({Role.SYSTEM}), S.OVERDUE_UNCONFIRMED),
    (S.MATERIALS_INCOMPLETE, A.EXPIRE_UNCONFIRMED): (frozenset({Role.SYSTEM}), S.OVERDUE_UNCONFIRMED),
}


def actor(role: Role) -> Actor:
    org = {Role.POINT_STAFF: "11010801", Role.AUTHORITY_ADMIN: "110108"}.get(role, "")
    return Actor(role=role, subject_id=f"user-{role.lower()}", organisation_code=org)


def inputs_for(action: A) -> dict[str, object]:
    kwargs: dict[str, object] = {"reason": "说明原因"}
    if action is A.MARK_MATERIALS_INCOMPLETE:
        kwargs["missing_materials"] = ["体检表"]
    return kwargs


def test_r_app_2_table_is_exactly_the_expected_workflow() -> None:
    actual = {(t.from_status, t.action): (t.roles, t.to_status) for t in TRANSITIONS}
    assert actual == EXPECTED


LEGAL = [(f, a, r, to) for (f, a), (roles, to) in EXPECTED.items() for r in sorted(roles)]


@pytest.mark.parametrize(("current", "action", "role", "target"), LEGAL)
def test_r_app_2_every_legal_transition_is_recorded(current: S, action: A, role: Role, target: S) -> None:
    who = actor(role)
    record = apply_transition(current, action, who, now=NOW, **inputs_for(action))  # type: ignore[arg-type]
    assert (record.from_status, record.to_status, record.action) == (current, target, action)
    assert record.actor == who and record.at == NOW and record.reason == "说明原因"


ILLEGAL = [
    (s, a) for s, a in itertools.product(S, A) if (s, a) not in EXPECTED
]


@pytest.mark.parametrize(("current", "action"), ILLEGAL)
def test_r_app_2_every_illegal_status_action_pair_is_refused(current: S, action: A) -> None:
    # Use a role that may take this action somewhere, so the refusal is about the status.
    role = next(iter(sorted(r for (_, a), (roles, _) in EXPECTED.items() if a is action for r in roles)))
    with pytest.raises(RuleViolation) as caught:
        apply_transition(current, action, actor(role), now=NOW, **inputs_for(action))  # type: ignore[arg-type]
    assert caught.value.code == "R-APP-2"
    assert STATUS_INFO[current].label_zh in caught.value.message_zh
    assert STATUS_INFO[current].label_en in caught.value.message_en


REFUSED_ROLES = [
    (f, a, r) for (f, a), (roles, _) in EXPECTED.items() for r in Role if r not in roles
]


@pytest.mark.parametrize(("current", "action", "role"), REFUSED_ROLES)
def test_r_app_2_roles_not_in_the_row_are_denied(current: S, action: A, role: Role) -> None:
    with pytest.raises(PermissionDenied):
        apply_transition(current, action, actor(role), now=NOW, **inputs_for(action))  # type: ignore[arg-type]


def test_r_app_2_point_staff_cannot_decide_even_from_confirmed() -> None:
    with pytest.raises(PermissionDenied) as caught:
        apply_transition(S.CONFIRMED, A.APPROVE_REGISTERED, actor(P), now=NOW)
    assert "注册合格" in caught.value.message_zh


@pytest.mark.parametrize("action", [A.DEFER, A.REJECT])
@pytest.mark.parametrize("reason", ["", "   "])
def test_r_app_2_defer_and_reject_need_a_reason(action: A, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_transition(S.CONFIRMED, action, actor(AU), now=NOW, reason=reason)
    assert [p.field for p in caught.value.problems] == ["reason"]


def test_r_app_2_not_eligible_needs_a_reason() -> None:
    with pytest.raises(InvalidInput):
        apply_transition(S.SUBMITTED, A.MARK_NOT_ELIGIBLE, actor(P), now=NOW)


def test_r_app_2_wrong_authority_needs_a_reason() -> None:
    """The applicant must learn which authority is right; the service, not only the console, asks."""
    with pytest.raises(InvalidInput) as caught:
        apply_transition(S.SUBMITTED, A.MARK_WRONG_AUTHORITY, actor(P), now=NOW, reason="  ")
    assert [p.field for p in caught.value.problems] == ["reason"]


def test_r_app_2_approval_needs_no_reason() -> None:
    record = apply_transition(S.CONFIRMED, A.APPROVE_REGISTERED, actor(AU), now=NOW)
    assert record.reason == ""


@pytest.mark.parametrize("materials", [[], ["", "  "]])
def test_r_app_2_materials_incomplete_needs_the_missing_list(materials: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_transition(S.SUBMITTED, A.MARK_MATERIALS_INCOMPLETE, actor(P), now=NOW,
                         missing_materials=materials)
    assert caught.value.problems[0].field == "missing_materials"


def test_r_app_2_missing_materials_are_kept_trimmed_in_the_record() -> None:
    record = apply_transition(S.SUBMITTED, A.MARK_MATERIALS_INCOMPLETE, actor(P), now=NOW,
                              missing_materials=[" 体检表 ", "", "学历证书复印件"])
    assert record.missing_materials == ("体检表", "学历证书复印件")


def test_r_app_2_missing_materials_only_with_materials_incomplete() -> None:
    with pytest.raises(InvalidInput):
        apply_transition(S.SUBMITTED, A.CONFIRM_ON_SITE, actor(P), now=NOW, missing_materials=["体检表"])


def test_r_app_2_overlong_reason_is_refused() -> None:
    with pytest.raises(InvalidInput):
        apply_transition(S.CONFIRMED, A.REJECT, actor(AU), now=NOW, reason="理" * 501)


def test_r_app_2_naive_time_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        apply_transition(S.CONFIRMED, A.APPROVE_REGISTERED, actor(AU), now=datetime(2026, 4, 1))


def test_r_app_2_identity_reviewer_has_no_application_actions() -> None:
    assert all(allowed_actions(s, Role.IDENTITY_REVIEWER) == () for s in S)


def test_r_app_2_allowed_actions_lists_the_buttons_for_a_role() -> None:
    assert set(allowed_actions(S.CONFIRMED, AU)) == {
        A.APPROVE_REGISTERED, A.DEFER, A.REJECT, A.MARK_NOT_ELIGIBLE, A.MARK_WRONG_AUTHORITY
    }
    assert allowed_actions(S.REGISTERED, AU) == ()
