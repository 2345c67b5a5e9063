"""Submitting the draft: every problem at once, the online window (R-WIZ-7), the snapshot, done (R-WIZ-8)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from servicekit.clock import ManualClock
from servicekit.errors import RuleViolation
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.domain.wizard import (
    STEP_ORDER_RULE,
    Account,
    DoneSummary,
    Draft,
    NotReadyToSubmit,
    Step,
    WarningsNeedConfirmation,
    WizardEnv,
    done_summary,
    ensure_ready_to_submit,
    ready_to_submit,
    record_submission,
    submission_snapshot,
    submit_step,
)

from services.application.tests.unit.wizard_builders import (
    ACCOUNT,
    CHAOYANG,
    CLOSE,
    CODES,
    CST,
    MATERIALS,
    OPEN,
    PLANS,
    SELF_FILLED_NUMBER,
    complete,
    fresh,
    point,
)

PLAN_CY = PLANS["110105"][0]


def everything(clock: ManualClock | None = None) -> tuple[Draft, WizardEnv, ManualClock]:
    draft, env, clock = fresh(clock)
    return complete(draft, env, clock, Step.MATERIALS), env, clock


def test_r_wiz_7_ready_to_submit_lists_every_problem_at_once() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    problems = ready_to_submit(draft, clock.now(), None, account=ACCOUNT)
    assert [p.step for p in problems] == [Step.CERTIFICATE_DATA_AND_AUTHORITY, Step.CONFIRMATION_POINT, Step.NOTES,
                                          Step.MATERIALS]
    assert all(not p.overridable for p in problems)


def test_r_wiz_7_complete_draft_inside_the_window_is_ready() -> None:
    draft, _env, clock = everything()
    assert ready_to_submit(draft, clock.now(), PLAN_CY, account=ACCOUNT, authority=CHAOYANG, codes=CODES) == []
    assert ensure_ready_to_submit(draft, clock.now(), PLAN_CY, account=ACCOUNT) == draft


@pytest.mark.parametrize(("offset", "ready"), [(timedelta(0), True), (timedelta(seconds=1), False)])
def test_r_wiz_7_submission_must_happen_by_the_end_of_the_online_window(offset: timedelta, ready: bool) -> None:
    draft, _env, clock = everything()
    clock.set(CLOSE + offset)
    problems = ready_to_submit(draft, clock.now(), PLAN_CY, account=ACCOUNT)
    assert (problems == []) is ready
    if not ready:
        [problem] = problems
        assert problem.code == "R-WIZ-7" and "已经结束" in problem.message_zh
        with pytest.raises(RuleViolation) as caught:
            ensure_ready_to_submit(draft, clock.now(), PLAN_CY, account=ACCOUNT)
        assert caught.value.code == "R-WIZ-7"
        assert "2026年3月31日 17:00" in caught.value.message_zh


def test_r_wiz_7_r_plan_2_plan_replaced_since_the_choice_is_refused() -> None:
    draft, _env, clock = everything()
    other = RegistrationPlan("plan-cy-2", "110105", "朝阳区2026年（补报）", OPEN, CLOSE, (point("CY-1"),))
    with pytest.raises(RuleViolation) as caught:
        ensure_ready_to_submit(draft, clock.now(), other)
    assert caught.value.code == "R-PLAN-2"


def test_r_wiz_7_point_removed_from_the_plan_is_a_problem_to_fix() -> None:
    draft, _env, clock = everything()
    shrunk = RegistrationPlan("plan-cy", "110105", "朝阳区2026年", OPEN, CLOSE, (point("CY-2"),))
    with pytest.raises(NotReadyToSubmit) as caught:
        ensure_ready_to_submit(draft, clock.now(), shrunk)
    assert [(p.step, p.code) for p in caught.value.submission_problems] == [(Step.CONFIRMATION_POINT, "R-WIZ-5")]


def test_r_wiz_7_point_whose_confirmation_window_ended_since_the_choice_is_a_problem_to_fix() -> None:
    draft, _env, clock = everything()
    ended = PointWindow("CY-1", OPEN, clock.now() - timedelta(minutes=1))
    plan = RegistrationPlan("plan-cy", "110105", "朝阳区2026年", OPEN, CLOSE, (ended, point("CY-2")))
    with pytest.raises(NotReadyToSubmit) as caught:
        ensure_ready_to_submit(draft, clock.now(), plan)
    assert [(p.step, p.code) for p in caught.value.submission_problems] == [(Step.CONFIRMATION_POINT, "R-WIZ-5")]
    assert "已经结束" in caught.value.submission_problems[0].message_zh


def test_r_wiz_7_assessment_years_are_checked_again_at_submission() -> None:
    """A draft saved in one year and submitted in the next asks for the new five years."""
    draft, _env, _clock = everything()
    extended = PointWindow("CY-1", OPEN, datetime(2027, 2, 28, tzinfo=CST))  # confirmation still open then
    next_year = RegistrationPlan("plan-cy", "110105", "延长", OPEN, datetime(2027, 1, 31, tzinfo=CST), (extended,))
    problems = ready_to_submit(draft, datetime(2027, 1, 5, 10, tzinfo=CST), next_year)
    assert {p.field for p in problems} >= {"annual_assessments[0].year"}
    assert all(p.step is Step.MATERIALS for p in problems)


def test_r_wiz_7_warnings_not_overridden_are_asked_at_submission() -> None:
    draft, _env, clock = everything()
    renamed = Account(ACCOUNT.subject_id, "王晓明", ACCOUNT.document_type, ACCOUNT.document_number)
    problems = ready_to_submit(draft, clock.now(), PLAN_CY, account=renamed)
    assert [(p.code, p.overridable) for p in problems] == [("R-WIZ-4-HOLDER_NAME", True)]
    with pytest.raises(WarningsNeedConfirmation):
        ensure_ready_to_submit(draft, clock.now(), PLAN_CY, account=renamed)
    accepted = ensure_ready_to_submit(draft, clock.now(), PLAN_CY, account=renamed,
                                      override_warnings=["R-WIZ-4-HOLDER_NAME"])
    assert "R-WIZ-4-HOLDER_NAME" in accepted.overridden_warnings
    assert ready_to_submit(accepted, clock.now(), PLAN_CY, account=renamed) == []


def test_r_wiz_7_snapshot_freezes_the_answers() -> None:
    draft, _env, _clock = everything()
    snapshot = submission_snapshot(draft)
    assert snapshot.certificate_number == SELF_FILLED_NUMBER
    assert (snapshot.authority.authority_code, snapshot.authority.plan_id, snapshot.point_code) == ("110105", "plan-cy", "CY-1")
    assert snapshot.materials == draft.materials and not snapshot.certificate_locked
    assert snapshot.document_number_masked == "1101**********0011"
    assert ACCOUNT.document_number not in str(snapshot.to_dict())


def test_r_wiz_7_snapshot_of_an_unfinished_draft_is_refused() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.NOTES)
    with pytest.raises(RuleViolation) as caught:
        submission_snapshot(draft)
    assert caught.value.code == STEP_ORDER_RULE and "第 7 步" in caught.value.message_zh


def test_r_wiz_8_done_summary_masks_the_document_and_has_no_password() -> None:
    draft, _env, clock = everything()
    done = record_submission(draft, "110105202600001", clock.now())
    assert done.current_step is Step.DONE
    summary = done_summary(done, ACCOUNT)
    assert summary == DoneSummary("王小明", "1101**********0011", SELF_FILLED_NUMBER, "wang@example.com",
                                  "110105202600001")
    assert not any("password" in name for name in DoneSummary.__dataclass_fields__)
    custom = done_summary(done, ACCOUNT, mask=lambda n: n[:3] + "***")
    assert custom.document_number_masked == "110***"


def test_r_wiz_8_done_summary_before_submission_is_refused() -> None:
    draft, _env, _clock = everything()
    with pytest.raises(RuleViolation) as caught:
        done_summary(draft, ACCOUNT)
    assert caught.value.code == "R-WIZ-8"


def test_r_wiz_9_submitted_draft_takes_no_more_steps_or_submissions() -> None:
    draft, env, clock = everything()
    done = record_submission(draft, "110105202600001", clock.now())
    with pytest.raises(RuleViolation) as caught:
        submit_step(done, Step.MATERIALS, MATERIALS, env)
    assert caught.value.code == "R-WIZ-9"
    with pytest.raises(RuleViolation):
        record_submission(done, "110105202600002", clock.now())
    assert Draft.from_dict(done.to_dict()) == done
