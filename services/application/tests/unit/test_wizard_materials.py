"""R-WIZ-7: the application materials, checked field by field with stable field paths."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from servicekit.clock import ManualClock
from servicekit.errors import InvalidInput
from tqr_application.domain.plans import PointWindow, RegistrationPlan
from tqr_application.domain.reference import Authority, RegistryCertificate
from tqr_application.domain.wizard import (
    ANSWERABLE_STEPS,
    Account,
    Draft,
    ReferenceCodes,
    Step,
    WarningsNeedConfirmation,
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


def at_materials() -> tuple[Draft, WizardEnv, ManualClock]:
    draft, env, clock = fresh()
    return complete(draft, env, clock, Step.NOTES), env, clock


def problems_of(values: dict[str, Any]) -> dict[str, str]:
    draft, env, _clock = at_materials()
    with pytest.raises(InvalidInput) as caught:
        submit_step(draft, Step.MATERIALS, values, env)
    assert caught.value.code == "R-WIZ-7"
    return {p.field: p.message_zh for p in caught.value.problems}


def test_r_wiz_7_valid_materials_are_saved_typed() -> None:
    draft, env, _clock = at_materials()
    draft = submit_step(draft, Step.MATERIALS, MATERIALS, env).draft
    assert draft.materials is not None
    assert draft.materials.continuing_education_hours == 400
    assert [a.year for a in draft.materials.annual_assessments] == [2021, 2022, 2023, 2024, 2025]
    assert draft.materials.work_history[0].end is None
    assert draft.current_step is Step.MATERIALS


def test_r_wiz_7_every_field_is_required_all_reported_at_once() -> None:
    problems = problems_of({})
    assert set(problems) == {"email", "school", "post", "employment_start", "work_history",
                             "annual_assessments", "ethics_assessment", "continuing_education_hours"}


def test_r_wiz_7_work_history_problems_name_the_row_and_field() -> None:
    history = [
        {"start": "2015-09-01", "end": "2019-07-31", "school": "一中", "post": "教师"},
        {"start": "2019-09-01", "end": "2019-08-01", "school": "二中", "post": "教师"},
        {"start": "2020-09-01", "end": "", "school": "", "post": "教师"},
        {"start": "2021-13-01", "end": "", "school": "三中", "post": "教师"},
    ]
    problems = problems_of(MATERIALS | {"work_history": history})
    assert set(problems) == {"work_history[1].end", "work_history[2].school", "work_history[3].start",
                             "work_history[3].end"}
    assert "早于开始日期" in problems["work_history[1].end"]
    assert "只有目前的工作" in problems["work_history[3].end"]


def test_r_wiz_7_annual_assessments_need_each_of_the_five_years_once() -> None:
    four = [{"year": y, "result": "合格"} for y in range(2021, 2025)]
    assert "2025" in problems_of(MATERIALS | {"annual_assessments": four})["annual_assessments"]
    twice = [*four, {"year": 2024, "result": "合格"}]
    assert "annual_assessments[4].year" in problems_of(MATERIALS | {"annual_assessments": twice})
    wrong = [*four, {"year": 2025, "result": "很好"}]
    assert set(problems_of(MATERIALS | {"annual_assessments": wrong})) == {"annual_assessments[4].result"}
    too_old = [{"year": 2020, "result": "合格"}, *four[1:], {"year": 2025, "result": "合格"}]
    assert "annual_assessments[0].year" in problems_of(MATERIALS | {"annual_assessments": too_old})


@pytest.mark.parametrize("hours", [-1, "12.5", "", None, 5001, True])
def test_r_wiz_7_continuing_education_hours_are_a_whole_number(hours: object) -> None:
    assert set(problems_of(MATERIALS | {"continuing_education_hours": hours})) == {"continuing_education_hours"}


def test_r_wiz_7_hours_may_arrive_as_digits_from_a_form() -> None:
    draft, env, _clock = at_materials()
    draft = submit_step(draft, Step.MATERIALS, MATERIALS | {"continuing_education_hours": "360"}, env).draft
    assert draft.materials is not None and draft.materials.continuing_education_hours == 360


@pytest.mark.parametrize("email", ["wang", "wang@", "wang@example", "wang @example.com"])
def test_r_wiz_7_email_format(email: str) -> None:
    assert set(problems_of(MATERIALS | {"email": email})) == {"email"}


def test_r_wiz_7_ethics_result_from_the_list() -> None:
    assert set(problems_of(MATERIALS | {"ethics_assessment": "良"})) == {"ethics_assessment"}


def test_r_wiz_7_future_dates_refused() -> None:
    assert set(problems_of(MATERIALS | {"employment_start": "2026-09-01"})) == {"employment_start"}


def test_r_wiz_7_history_not_covering_five_years_warns_and_may_be_overridden() -> None:
    draft, env, _clock = at_materials()
    short = MATERIALS | {"work_history": [{"start": "2023-09-01", "end": "", "school": "一中", "post": "教师"}]}
    with pytest.raises(WarningsNeedConfirmation) as caught:
        submit_step(draft, Step.MATERIALS, short, env)
    assert caught.value.code == "R-WIZ-7-HISTORY_COVERAGE"
    draft = submit_step(draft, Step.MATERIALS, short, env, override_warnings=["R-WIZ-7-HISTORY_COVERAGE"]).draft
    assert "R-WIZ-7-HISTORY_COVERAGE" in draft.overridden_warnings
    # Correcting the history and saving again drops the override: it is no longer needed.
    draft = submit_step(draft, Step.MATERIALS, MATERIALS, env).draft
    assert "R-WIZ-7-HISTORY_COVERAGE" not in draft.overridden_warnings
