"""R-APP-2: the rules the service serves (GetWorkflowRules) are the ones it enforces.

Each served rule is checked against what ``apply_transition`` actually does, so a served answer that
drifted from the transition table would fail here, not in the console.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from servicekit.errors import InvalidInput, PermissionDenied, RuleViolation
from tqr.application.v1 import status_pb2
from tqr_application.domain.roles import ORGANISATION_SCOPED_ROLES, Actor, Role
from tqr_application.domain.status import ApplicationStatus, StatusAction, apply_transition
from tqr_application.domain.wizard.answers import assessment_years
from tqr_application.entrypoints.mappers import workflow_rules

NOW = datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
RULES = workflow_rules()


def _actor(role: str) -> Actor:
    scoped = Role(role) in ORGANISATION_SCOPED_ROLES
    return Actor(subject_id="someone", role=Role(role), organisation_code="110101" if scoped else "")


def _outcome(status: ApplicationStatus, action: StatusAction, role: str, **inputs: object) -> str:
    try:
        apply_transition(status, action, _actor(role), now=NOW, **inputs)  # type: ignore[arg-type]
    except (PermissionDenied, RuleViolation):
        return "refused"
    except InvalidInput as exc:
        return "needs " + ",".join(sorted(p.field for p in exc.problems))
    return "done"


@pytest.mark.parametrize("rule", RULES.actions, ids=lambda r: status_pb2.StatusAction.Name(r.action))
def test_r_app_2_each_served_action_rule_is_the_enforced_one(rule):
    action = StatusAction(status_pb2.StatusAction.Name(rule.action))
    allowed_from = {ApplicationStatus(status_pb2.ApplicationStatus.Name(s)) for s in rule.from_statuses}
    assert allowed_from, "every action is possible from some status"
    full = {"reason": "原因", "missing_materials": ["体检合格证明"] if rule.materials_required else []}
    for status in ApplicationStatus:
        outcomes = {role: _outcome(status, action, role, **full) for role in rule.roles}
        if status in allowed_from:
            assert "done" in outcomes.values(), (status, outcomes)
        else:
            assert set(outcomes.values()) == {"refused"}, (status, outcomes)
    # Roles not served are refused everywhere.
    for role in {r.value for r in Role} - set(rule.roles):
        assert all(_outcome(s, action, role, **full) == "refused" for s in allowed_from)
    # A served "needs a reason" / "needs materials" is what the service asks for when they are absent.
    start = next(iter(allowed_from))
    role = next(r for r in rule.roles if _outcome(start, action, r, **full) == "done")
    bare = _outcome(start, action, role, reason="", missing_materials=[])
    expected = {f for f, needed in (("missing_materials", rule.materials_required),
                                    ("reason", rule.reason_required)) if needed}
    assert bare == ("needs " + ",".join(sorted(expected)) if expected else "done")


def test_r_app_2_every_status_and_action_is_served_once_with_its_label():
    assert [status_pb2.ApplicationStatus.Name(s.status) for s in RULES.statuses] == [s.value for s in ApplicationStatus]
    assert [status_pb2.StatusAction.Name(a.action) for a in RULES.actions] == [a.value for a in StatusAction]
    assert all(s.label_zh and s.label_en for s in RULES.statuses)


def test_r_wiz_7_served_cycle_gives_the_years_the_service_asks_for():
    today = NOW.date()
    assert tuple(range(today.year - RULES.cycle_years, today.year)) == assessment_years(today)
    assert "不合格" in RULES.annual_assessment_results and "不合格" in RULES.ethics_assessment_results


def test_r_wiz_7_draft_materials_map_to_the_reply_as_through_the_stored_form():
    """The direct domain → protobuf mapping answers what the former domain → dict → protobuf did."""
    from datetime import date

    from tqr_application.domain.wizard.answers import AnnualAssessment, Materials, WorkPeriod
    from tqr_application.entrypoints.mappers import materials, materials_of

    data = Materials(
        email="t@example.cn", school="一中", post="教师", employment_start=date(2015, 9, 1),
        work_history=(WorkPeriod(date(2015, 9, 1), None, "一中", "教师"),
                      WorkPeriod(date(2012, 9, 1), date(2015, 7, 31), "二中", "班主任")),
        annual_assessments=(AnnualAssessment(2021, "合格"), AnnualAssessment(2022, "优秀")),
        ethics_assessment="合格", continuing_education_hours=360,
    )
    assert materials_of(data) == materials(data.to_dict())
