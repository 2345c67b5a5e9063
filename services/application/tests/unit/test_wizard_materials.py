"""R-WIZ-7: the application materials, checked field by field with stable field paths."""

from __future__ import annotations

from typing import Any

import pytest
from servicekit.clock import ManualClock
from servicekit.errors import InvalidInput
from tqr_application.domain.wizard import (
    Draft,
    Step,
    WarningsNeedConfirmation,
    WizardEnv,
    submit_step,
)

from services.application.tests.unit.wizard_builders import (
    MATERIALS,
    complete,
    fresh,
)


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
