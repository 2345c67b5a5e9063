"""The eligibility pre-check: which answers point to 暂缓注册 (DEFERRED) or 注册不合格 (REJECTED)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from tqr_application.domain.eligibility import EligibilityOutcome, EligibilityPolicy, check_eligibility
from tqr_application.domain.wizard import AnnualAssessment, Materials, WorkPeriod

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # cycle: 2021-03-10 .. 2026-03-10
D, R = EligibilityOutcome.DEFERRED, EligibilityOutcome.REJECTED
GOOD = Materials(
    email="wang@example.com", school="一中", post="教师", employment_start=date(2015, 9, 1),
    work_history=(WorkPeriod(date(2015, 9, 1), None, "一中", "教师"),),
    annual_assessments=tuple(AnnualAssessment(y, "合格") for y in range(2021, 2026)),
    ethics_assessment="合格", continuing_education_hours=360,
)


def codes(materials: Materials, policy: EligibilityPolicy | None = None) -> list[tuple[str, EligibilityOutcome]]:
    return [(f.code, f.outcome) for f in check_eligibility(materials, NOW, policy).findings]


def test_eligibility_clean_record_has_no_findings() -> None:
    report = check_eligibility(GOOD, NOW)
    assert report.eligible and report.likely_outcome is None


def test_eligibility_fewer_than_360_hours_defers() -> None:
    assert codes(replace(GOOD, continuing_education_hours=359)) == [("ELIG-HOURS", D)]
    assert codes(replace(GOOD, continuing_education_hours=360)) == []


def test_eligibility_hours_threshold_per_authority() -> None:
    policy = EligibilityPolicy.from_settings({"min_continuing_education_hours": 400})
    assert codes(GOOD, policy) == [("ELIG-HOURS", D)]


def test_eligibility_failed_annual_assessment_rejects_naming_the_year() -> None:
    years = (*GOOD.annual_assessments[:3], AnnualAssessment(2024, "不合格"), GOOD.annual_assessments[4])
    report = check_eligibility(replace(GOOD, annual_assessments=years), NOW)
    [finding] = report.findings
    assert (finding.code, finding.outcome) == ("ELIG-ANNUAL", R) and "2024" in finding.message_zh
    lenient = EligibilityPolicy(annual_failures_for_rejection=2)
    assert codes(replace(GOOD, annual_assessments=years), lenient) == []


def test_eligibility_basic_pass_is_not_a_failure() -> None:
    years = tuple(AnnualAssessment(y, "基本合格") for y in range(2021, 2026))
    assert codes(replace(GOOD, annual_assessments=years)) == []


def test_eligibility_failed_ethics_rejects_and_outranks_deferral() -> None:
    report = check_eligibility(replace(GOOD, ethics_assessment="不合格", continuing_education_hours=100), NOW)
    assert [(f.code, f.outcome) for f in report.findings] == [("ELIG-HOURS", D), ("ELIG-ETHICS", R)]
    assert report.likely_outcome is R


def test_eligibility_not_teaching_now_defers() -> None:
    ended = (WorkPeriod(date(2015, 9, 1), date(2026, 1, 31), "一中", "教师"),)
    assert ("ELIG-NOT-TEACHING", D) in codes(replace(GOOD, work_history=ended))


@pytest.mark.parametrize(("gap_days", "deferred"), [(183, False), (184, True)])
def test_eligibility_gap_in_service_over_six_months_defers(gap_days: int, deferred: bool) -> None:
    first_end = date(2022, 1, 31)
    restart = date.fromordinal(first_end.toordinal() + gap_days + 1)
    history = (WorkPeriod(date(2015, 9, 1), first_end, "一中", "教师"), WorkPeriod(restart, None, "二中", "教师"))
    found = codes(replace(GOOD, work_history=history))
    assert (("ELIG-SERVICE-GAP", D) in found) is deferred


def test_eligibility_history_starting_late_in_the_cycle_is_a_gap() -> None:
    history = (WorkPeriod(date(2023, 9, 1), None, "一中", "教师"),)
    report = check_eligibility(replace(GOOD, work_history=history), NOW)
    [finding] = report.findings
    assert finding.code == "ELIG-SERVICE-GAP" and "2021-03-10" in finding.message_zh


def test_eligibility_policy_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        EligibilityPolicy.from_settings({"min_hours": 1})
    with pytest.raises(ValueError):
        EligibilityPolicy.from_settings({"annual_failures_for_rejection": 0})
