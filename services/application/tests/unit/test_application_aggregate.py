"""The Application aggregate: ``apply`` enforces the R-APP-2 table and records what happened.

The rows below are written from DOMAIN.md (R-STAFF-1 decisions, R-STAFF-2 on-site results, R-APP-2
the applicant's own moves), not copied from ``domain.status``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from servicekit.errors import InvalidInput, PermissionDenied, RuleViolation
from tqr.application.v1 import events_pb2, status_pb2
from tqr_application.domain.application import (
    Answers,
    Application,
    Decision,
    Placement,
    SectionsChanged,
    StatusChanged,
    Submitted,
)
from tqr_application.domain.roles import Actor, Role
from tqr_application.domain.status import ApplicationStatus as S
from tqr_application.domain.status import StatusAction as A
from tqr_application.service_layer.events import integration_event

SUBMITTED_AT = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
NOW = SUBMITTED_AT + timedelta(days=3)
POINT = Actor(Role.POINT_STAFF, "staff-1", "11010801")
AUTHORITY = Actor(Role.AUTHORITY_ADMIN, "admin-1", "110108")
APPLICANT = Actor(Role.APPLICANT, "teacher-1")
HERE = Placement("plan-1", "110108", "11010801")
ELSEWHERE = Placement("plan-2", "110105", "11010501")

# rule, from, action, actor, to
ALLOWED = [
    ("R-STAFF-2", S.SUBMITTED, A.CONFIRM_ON_SITE, POINT, S.CONFIRMED),
    ("R-STAFF-2", S.SUBMITTED, A.MARK_MATERIALS_INCOMPLETE, POINT, S.MATERIALS_INCOMPLETE),
    ("R-STAFF-2", S.SUBMITTED, A.MARK_WRONG_AUTHORITY, POINT, S.WRONG_AUTHORITY),
    ("R-STAFF-1", S.SUBMITTED, A.MARK_WRONG_AUTHORITY, AUTHORITY, S.WRONG_AUTHORITY),
    ("R-STAFF-2", S.SUBMITTED, A.MARK_NOT_ELIGIBLE, POINT, S.NOT_ELIGIBLE),
    ("R-STAFF-1", S.SUBMITTED, A.MARK_NOT_ELIGIBLE, AUTHORITY, S.NOT_ELIGIBLE),
    ("R-APP-2", S.SUBMITTED, A.WITHDRAW, APPLICANT, S.WITHDRAWN),
    ("R-STAFF-2", S.MATERIALS_INCOMPLETE, A.CONFIRM_ON_SITE, POINT, S.CONFIRMED),
    ("R-STAFF-2", S.MATERIALS_INCOMPLETE, A.MARK_MATERIALS_INCOMPLETE, POINT, S.MATERIALS_INCOMPLETE),
    ("R-STAFF-2", S.MATERIALS_INCOMPLETE, A.MARK_WRONG_AUTHORITY, POINT, S.WRONG_AUTHORITY),
    ("R-STAFF-1", S.MATERIALS_INCOMPLETE, A.MARK_WRONG_AUTHORITY, AUTHORITY, S.WRONG_AUTHORITY),
    ("R-STAFF-2", S.MATERIALS_INCOMPLETE, A.MARK_NOT_ELIGIBLE, POINT, S.NOT_ELIGIBLE),
    ("R-STAFF-1", S.MATERIALS_INCOMPLETE, A.MARK_NOT_ELIGIBLE, AUTHORITY, S.NOT_ELIGIBLE),
    ("R-STAFF-1", S.CONFIRMED, A.APPROVE_REGISTERED, AUTHORITY, S.REGISTERED),
    ("R-STAFF-1", S.CONFIRMED, A.DEFER, AUTHORITY, S.DEFERRED),
    ("R-STAFF-1", S.CONFIRMED, A.REJECT, AUTHORITY, S.REJECTED),
    ("R-STAFF-1", S.CONFIRMED, A.MARK_NOT_ELIGIBLE, AUTHORITY, S.NOT_ELIGIBLE),
    ("R-STAFF-1", S.CONFIRMED, A.MARK_WRONG_AUTHORITY, AUTHORITY, S.WRONG_AUTHORITY),
    ("R-APP-2", S.WRONG_AUTHORITY, A.CORRECT_AUTHORITY, APPLICANT, S.SUBMITTED),
    ("R-APP-2", S.WRONG_AUTHORITY, A.WITHDRAW, APPLICANT, S.WITHDRAWN),
]


def stored(status: S, *, version: int = 4) -> Application:
    """An application as the repository hands it out: read at ``version``, nothing recorded."""
    return Application(
        id="app-1", application_number="2026110108000012", applicant_id=APPLICANT.subject_id, placement=HERE,
        certificate_number="20151100000000123", applicant_name="王老师", document_number="11010519491231002X",
        status=status, version=version,
        answers=Answers(certificate={"certificate_number": "20151100000000123"},
                        materials={"email": "wang@example.com", "school": "一中"}),
        decision=Decision("earlier reason", ("earlier paper",)), certificate_locked=False,
        submitted_at=SUBMITTED_AT, updated_at=SUBMITTED_AT,
    )


def inputs_for(action: A) -> dict[str, object]:
    """What the action needs besides the actor: a reason the applicant reads, the missing papers,
    or the new placement."""
    if action is A.MARK_MATERIALS_INCOMPLETE:
        return {"missing_materials": [" 体检表 ", ""]}
    if action in (A.DEFER, A.REJECT, A.MARK_NOT_ELIGIBLE, A.MARK_WRONG_AUTHORITY):
        return {"reason": " 师德考核不合格 "}
    if action is A.CORRECT_AUTHORITY:
        return {"placement": ELSEWHERE}
    return {}


@pytest.mark.parametrize(("rule", "current", "action", "actor", "target"), ALLOWED,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[3].role}" for r in ALLOWED])
def test_r_app_2_apply_makes_every_allowed_transition(rule, current, action, actor, target):
    app = stored(current)
    change = app.apply(action, actor, NOW, **inputs_for(action))
    assert (app.status, change.from_status, change.to_status, change.actor) == (target, current, target, actor)
    assert app.version == 5 and app.updated_at == NOW
    assert app.events == [StatusChanged(change)]
    expected_decision = {
        A.MARK_MATERIALS_INCOMPLETE: Decision("", ("体检表",)),
        A.DEFER: Decision("师德考核不合格"), A.REJECT: Decision("师德考核不合格"),
        A.MARK_NOT_ELIGIBLE: Decision("师德考核不合格"), A.MARK_WRONG_AUTHORITY: Decision("师德考核不合格"),
    }.get(action, Decision())
    assert app.decision == expected_decision  # the earlier decision's words never linger
    assert app.placement == (ELSEWHERE if action is A.CORRECT_AUTHORITY else HERE)
    history = app.events[0].history()
    assert (history.from_status, history.to_status, history.action) == (current.value, target.value, action.value)
    assert (history.actor_role, history.actor_org) == (actor.role.value, actor.organisation_code)


def test_r_app_2_apply_refuses_an_action_the_status_does_not_allow_and_changes_nothing():
    app = stored(S.REGISTERED)
    with pytest.raises(RuleViolation) as caught:
        app.apply(A.WITHDRAW, APPLICANT, NOW, reason="不想注册了")
    assert caught.value.code == "R-APP-2"
    assert (app.status, app.version, app.events, app.decision) == (S.REGISTERED, 4, [], stored(S.SUBMITTED).decision)


def test_r_staff_1_point_staff_cannot_take_the_authoritys_decision():
    app = stored(S.CONFIRMED)
    with pytest.raises(PermissionDenied):
        app.apply(A.APPROVE_REGISTERED, POINT, NOW)
    assert app.status is S.CONFIRMED and app.events == []


@pytest.mark.parametrize("action", [A.DEFER, A.REJECT, A.MARK_NOT_ELIGIBLE])
def test_r_staff_1_decision_against_the_applicant_without_a_reason_is_refused(action):
    app = stored(S.CONFIRMED)
    with pytest.raises(InvalidInput) as caught:
        app.apply(action, AUTHORITY, NOW, reason="   ")
    assert [p.field for p in caught.value.problems] == ["reason"]
    assert app.status is S.CONFIRMED and app.version == 4 and app.events == []


def test_r_staff_2_materials_incomplete_without_the_missing_list_is_refused():
    app = stored(S.SUBMITTED)
    with pytest.raises(InvalidInput) as caught:
        app.apply(A.MARK_MATERIALS_INCOMPLETE, POINT, NOW)
    assert [p.field for p in caught.value.problems] == ["missing_materials"]
    assert app.status is S.SUBMITTED


def test_r_app_2_only_correcting_the_authority_moves_the_application_elsewhere():
    with pytest.raises(ValueError):
        stored(S.SUBMITTED).apply(A.WITHDRAW, APPLICANT, NOW, placement=ELSEWHERE)
    with pytest.raises(ValueError):
        stored(S.WRONG_AUTHORITY).apply(A.CORRECT_AUTHORITY, APPLICANT, NOW)


@pytest.mark.parametrize(("current", "action", "actor", "frees"), [
    (S.SUBMITTED, A.WITHDRAW, APPLICANT, True),
    (S.WRONG_AUTHORITY, A.WITHDRAW, APPLICANT, True),
    (S.CONFIRMED, A.REJECT, AUTHORITY, False),
    (S.CONFIRMED, A.APPROVE_REGISTERED, AUTHORITY, False),
    (S.SUBMITTED, A.MARK_NOT_ELIGIBLE, POINT, False),
])
def test_r_wiz_9_only_a_withdrawal_frees_the_live_key(current, action, actor, frees):
    app = stored(current)
    app.apply(action, actor, NOW, reason="原因")
    assert app.frees_live_key is frees


def test_r_app_3_edits_record_their_sections_and_move_the_version_once_per_unit_of_work():
    app = stored(S.SUBMITTED)
    app.replace_materials({"email": "wang@example.com", "school": "二中"}, NOW)
    app.replace_email("new@example.com", NOW)
    assert app.version == 5  # one optimistic write for what this unit of work changed
    assert app.answers.materials == {"email": "new@example.com", "school": "二中"}
    assert [e.sections for e in app.events if isinstance(e, SectionsChanged)] == [("MATERIALS",), ("CONTACT",)]


def test_r_app_4_a_message_is_recorded_without_changing_the_application():
    app = stored(S.SUBMITTED)
    app.post_message("m-1", POINT, "海淀确认点", "请带原件", NOW)
    assert app.version == 4 and len(app.pull_events()) == 1 and app.events == []


def test_r_wiz_7_a_new_application_starts_submitted_with_its_first_history_line():
    app = Application.submit(
        id="app-2", applicant=APPLICANT, placement=HERE, certificate_number="20151100000000123",
        applicant_name="王老师", document_number="11010519491231002X",
        answers=Answers(certificate={}, materials={}), certificate_locked=True, now=SUBMITTED_AT,
    )
    assert (app.status, app.version, app.read_version) == (S.SUBMITTED, 1, 0)
    [event] = app.events
    assert isinstance(event, Submitted)
    history = event.history()
    assert (history.from_status, history.to_status, history.actor_id) == ("", "SUBMITTED", APPLICANT.subject_id)


async def test_r_app_2_status_change_is_published_with_the_placement_after_the_move():
    app = stored(S.WRONG_AUTHORITY)
    app.apply(A.CORRECT_AUTHORITY, APPLICANT, NOW, placement=ELSEWHERE)
    [event] = app.pull_events()
    published = await integration_event(None, app, event)  # type: ignore[arg-type]  # needs no look-ups
    assert isinstance(published, events_pb2.ApplicationStatusChanged)
    assert (published.from_status, published.to_status) == (status_pb2.WRONG_AUTHORITY, status_pb2.SUBMITTED)
    assert (published.authority_code, published.point_code) == (ELSEWHERE.authority_code, ELSEWHERE.point_code)
    # Typed fields only: the ISO strings of the previous version stay unset (readers fall back to them).
    assert published.changed_at.ToDatetime(tzinfo=UTC) == NOW
    assert (published.changed_at_iso, published.from_status_name, published.to_status_name) == ("", "", "")
