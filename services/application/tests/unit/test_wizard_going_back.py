"""Going back: later answers that are still valid are kept; only what a change invalidates is dropped."""

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
    Draft,
    ReferenceCodes,
    Step,
    WizardEnv,
    new_draft,
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


def everything() -> tuple[Draft, WizardEnv, ManualClock]:
    draft, env, clock = fresh()
    return complete(draft, env, clock, Step.MATERIALS), env, clock


def test_r_wiz_go_back_to_a_reached_step_keeps_every_answer() -> None:
    from tqr_application.domain.wizard import go_to_step

    draft, _env, clock = everything()
    back = go_to_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, clock.now())
    assert back.current_step is Step.CERTIFICATE_DATA_AND_AUTHORITY
    assert (back.point_code, back.materials, back.notes_read_at) == (draft.point_code, draft.materials, draft.notes_read_at)


def test_r_wiz_go_to_an_unreached_step_is_refused() -> None:
    from tqr_application.domain.wizard import go_to_step

    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    with pytest.raises(RuleViolation) as caught:
        go_to_step(draft, Step.NOTES, clock.now())
    assert caught.value.code == STEP_ORDER_RULE and "第 3 步" in caught.value.message_zh


def test_r_wiz_changing_authority_clears_the_point_of_the_old_plan_only() -> None:
    draft, env, _clock = everything()
    outcome = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                          CERT_VALUES | AUTH_VALUES | {"authority_code": HAIDIAN.code}, env)
    new = outcome.draft
    assert new.authority is not None and new.authority.plan_id == "plan-hd"
    assert new.point_code is None
    assert [c.step for c in outcome.cleared] == [Step.CONFIRMATION_POINT]
    assert new.materials == draft.materials and new.notes_read_at == draft.notes_read_at
    assert new.first_unfinished() is Step.CONFIRMATION_POINT


def test_r_wiz_changing_only_the_teaching_stage_keeps_the_point() -> None:
    draft, env, _clock = everything()
    outcome = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY,
                          CERT_VALUES | AUTH_VALUES | {"teaching_stage_code": "SENIOR_STAGE"}, env)
    assert outcome.draft.point_code == "CY-1" and outcome.cleared == ()
    assert outcome.draft.authority is not None and outcome.draft.authority.teaching_stage_code == "SENIOR_STAGE"
    assert outcome.draft.first_unfinished() is None


def test_r_wiz_changing_the_certificate_number_to_a_registry_one_replaces_and_locks() -> None:
    draft, env, _clock = everything()
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": REGISTRY.certificate_number}, env)
    new = outcome.draft
    assert new.certificate is not None and new.certificate.locked
    assert new.certificate.certificate_type_code == REGISTRY.certificate_type_code
    assert [c.step for c in outcome.cleared] == [Step.CERTIFICATE_DATA_AND_AUTHORITY]
    assert (new.authority, new.point_code, new.materials) == (draft.authority, draft.point_code, draft.materials)


def test_r_wiz_changing_away_from_the_registry_number_clears_the_locked_data() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.MATERIALS,
                     {Step.CERTIFICATE_AND_ID: {"certificate_number": REGISTRY.certificate_number}})
    outcome = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": SELF_FILLED_NUMBER}, env)
    new = outcome.draft
    assert new.certificate is None
    assert new.first_unfinished() is Step.CERTIFICATE_DATA_AND_AUTHORITY
    assert (new.authority, new.point_code, new.materials) == (draft.authority, draft.point_code, draft.materials)
    with pytest.raises(RuleViolation):
        submit_step(new, Step.MATERIALS, MATERIALS, env)


def test_r_wiz_correcting_a_typo_in_a_self_filled_number_keeps_the_typed_details() -> None:
    draft, env, _clock = everything()
    new = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "20031100122000018"}, env).draft
    assert new.certificate == draft.certificate
    assert new.first_unfinished() is None


def test_r_wiz_certificate_warnings_overridden_earlier_are_asked_again_after_the_data_changes() -> None:
    draft, env, clock = fresh()
    values = {Step.CERTIFICATE_DATA_AND_AUTHORITY: CERT_VALUES | AUTH_VALUES | {"holder_name": "王晓明"}}
    draft = complete(draft, env, clock, Step.CERTIFICATE_AND_ID)
    draft = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, values[Step.CERTIFICATE_DATA_AND_AUTHORITY],
                        env, override_warnings=["R-WIZ-4-HOLDER_NAME"]).draft
    assert draft.overridden_warnings == ("R-WIZ-4-HOLDER_NAME",)
    replaced = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": REGISTRY.certificate_number}, env)
    assert replaced.draft.overridden_warnings == ()


def test_r_wiz_unrelated_overrides_survive_a_later_step() -> None:
    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    draft = submit_step(draft, Step.CERTIFICATE_AND_ID, {"certificate_number": "A123"}, env,
                        override_warnings=["R-WIZ-3"]).draft
    draft = submit_step(draft, Step.CERTIFICATE_DATA_AND_AUTHORITY, CERT_VALUES | AUTH_VALUES, env).draft
    assert draft.overridden_warnings == ("R-WIZ-3",)


def test_r_wiz_draft_round_trips_through_json() -> None:
    import json

    draft, _env, _clock = everything()
    stored = json.loads(json.dumps(draft.to_dict()))
    assert Draft.from_dict(stored) == draft
    assert ACCOUNT.document_number not in json.dumps(stored)


def test_r_wiz_progress_shows_which_steps_can_be_opened() -> None:
    from tqr_application.domain.wizard import progress

    draft, env, clock = fresh()
    draft = complete(draft, env, clock, Step.TERMS)
    shown = {p.step: p for p in progress(draft)}
    assert [s for s, p in shown.items() if p.complete] == [Step.MUST_READ, Step.TERMS]
    assert [s for s, p in shown.items() if p.reachable] == [Step.MUST_READ, Step.TERMS, Step.CERTIFICATE_AND_ID]
    assert shown[Step.CERTIFICATE_AND_ID].current
