"""Submitting the draft: every problem at once, the online window (R-WIZ-7), the snapshot, done (R-WIZ-8)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from servicekit.clock import ManualClock
from servicekit.errors import RuleViolation
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.domain.reference import Authority, RegistryCertificate
from tqr_application.domain.wizard import (
    ANSWERABLE_STEPS,
    STEP_ORDER_RULE,
    Account,
    DoneSummary,
    Draft,
    NotReadyToSubmit,
    ReferenceCodes,
    Step,
    WarningsNeedConfirmation,
    WizardEnv,
    done_summary,
    ensure_ready_to_submit,
    new_draft,
    ready_to_submit,
    record_submission,
    submission_snapshot,
    submit_step,
)

# --- shared builders (copied into each wizard test file: test dirs have no helper modules) -------
CST = ZoneInfo("Asia/Shanghai")
OPEN = datetime(2026, 3, 1, 9, 0, tzinfo=CST)
CLOSE = datetime(2026, 3, 31, 17, 0, tzinfo=CST)
STARTED = OPEN + timedelta(days=2)


def point(code: str) -> PointWindow:
    return PointWindow(code, datetime(2026, 4, 1, 9, 0, tzinfo=CST), datetime(2026, 4, 10, 17, 0, tzinfo=CST))


CHAOYANG = Authority("110105", "北京市朝阳区教育委员会", "110105")
HAIDIAN = Authority("110108", "北京市海淀区教育委员会", "110108")
HUANGPU = Authority("310101", "上海市黄浦区教育局", "310101")
FENGTAI = Authority("110106", "北京市丰台区教育委员会", "110106")  # its plan has no points yet
SHIJINGSHAN = Authority("110107", "北京市石景山区教育委员会", "110107")  # no plan at all
AUTHORITIES = {a.code: a for a in (CHAOYANG, HAIDIAN, HUANGPU, FENGTAI, SHIJINGSHAN)}
PLANS = {
    "110105": [RegistrationPlan("plan-cy", "110105", "朝阳区2026年", OPEN, CLOSE, (point("CY-1"), point("CY-2")))],
    "110108": [RegistrationPlan("plan-hd", "110108", "海淀区2026年", OPEN, CLOSE, (point("HD-1"),))],
    "310101": [RegistrationPlan("plan-hp", "310101", "黄浦区2026年", OPEN, CLOSE, (point("HP-1"),))],
    "110106": [RegistrationPlan("plan-ft", "110106", "丰台区2026年", OPEN, CLOSE, ())],
}
ACCOUNT = Account("user-1", "王小明", "ID_CARD", "110108198001010011")
REGISTRY = RegistryCertificate(
    certificate_number="20041100122000099", holder_name="王小明", document_type="ID_CARD",
    document_number="110108198001010011", certificate_type_code="SENIOR", subject_code="MATH",
    issuing_body="北京市教育委员会", issue_date=date(2004, 7, 1), gender="M", birth_date=date(1980, 1, 1),
    province_code="110000",
)
CODES = ReferenceCodes(frozenset({"PRIMARY", "JUNIOR", "SENIOR"}), frozenset({"MATH", "CHINESE", "NONE"}),
                       frozenset({"PRIMARY_STAGE", "JUNIOR_STAGE", "SENIOR_STAGE"}))
SELF_FILLED_NUMBER = "20031100122000017"
CERT_VALUES = {"holder_name": "王小明", "gender": "M", "birth_date": "1980-01-01", "certificate_type_code": "JUNIOR",
               "subject_code": "NONE", "issuing_body": "北京市朝阳区教育委员会", "issue_date": "2003-07-01"}
AUTH_VALUES = {"authority_code": "110105", "teaching_stage_code": "JUNIOR_STAGE", "teaching_subject_code": "MATH"}
MATERIALS = {
    "email": "wang@example.com", "school": "北京市朝阳区实验中学", "post": "数学教师",
    "employment_start": "2015-09-01",
    "work_history": [{"start": "2015-09-01", "end": "", "school": "北京市朝阳区实验中学", "post": "数学教师"}],
    "annual_assessments": [{"year": y, "result": "合格"} for y in range(2021, 2026)],
    "ethics_assessment": "合格", "continuing_education_hours": 400,
}
ANSWERS: dict[Step, dict[str, Any]] = {
    Step.MUST_READ: {}, Step.TERMS: {"accept": True},
    Step.CERTIFICATE_AND_ID: {"certificate_number": SELF_FILLED_NUMBER},
    Step.CERTIFICATE_DATA_AND_AUTHORITY: CERT_VALUES | AUTH_VALUES,
    Step.CONFIRMATION_POINT: {"point_code": "CY-1"}, Step.NOTES: {"acknowledged": True}, Step.MATERIALS: MATERIALS,
}


def make_env(clock: ManualClock, account: Account = ACCOUNT) -> WizardEnv:
    def registry(number: str, document: str) -> RegistryCertificate | None:
        return REGISTRY if (number, document) == (REGISTRY.certificate_number, REGISTRY.document_number) else None

    return WizardEnv(clock=clock, account=account, codes=CODES, registry_lookup=registry,
                     authority_lookup=AUTHORITIES.get, plans_lookup=lambda code: PLANS.get(code, ()))


def fresh(clock: ManualClock | None = None) -> tuple[Draft, WizardEnv, ManualClock]:
    clock = clock or ManualClock(STARTED)
    return new_draft("draft-1", ACCOUNT.subject_id, clock.now()), make_env(clock), clock


def complete(draft: Draft, env: WizardEnv, clock: ManualClock, through: Step,
             answers: dict[Step, dict[str, Any]] | None = None) -> Draft:
    """Answer every step up to and including ``through`` with valid answers."""
    answers = ANSWERS | (answers or {})
    for step in ANSWERABLE_STEPS:
        if step > through:
            break
        if step is Step.MUST_READ:
            clock.advance(seconds=3)
        draft = submit_step(draft, step, answers[step], env).draft
    return draft


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


def test_r_wiz_7_assessment_years_are_checked_again_at_submission() -> None:
    """A draft saved in one year and submitted in the next asks for the new five years."""
    draft, _env, _clock = everything()
    next_year = RegistrationPlan("plan-cy", "110105", "延长", OPEN, datetime(2027, 1, 31, tzinfo=CST), (point("CY-1"),))
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
