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


def failed_in(*failed: int) -> tuple[AnnualAssessment, ...]:
    return tuple(AnnualAssessment(y, "不合格" if y in failed else "合格") for y in range(2021, 2026))


def test_eligibility_one_failed_annual_assessment_defers_naming_the_year_and_article_10_3() -> None:
    report = check_eligibility(replace(GOOD, annual_assessments=failed_in(2024)), NOW)
    [finding] = report.findings
    assert (finding.code, finding.outcome) == ("ELIG-ANNUAL", D) and "2024" in finding.message_zh
    assert "第十条第（三）项" in finding.message_zh and "article 10(3)" in finding.message_en
    assert report.likely_outcome is D  # was REJECTED before issue 19 item 23


def test_eligibility_two_failed_years_apart_still_only_defer() -> None:
    assert codes(replace(GOOD, annual_assessments=failed_in(2021, 2023))) == [("ELIG-ANNUAL", D)]


def test_eligibility_two_consecutive_failed_years_reject_citing_article_11_2() -> None:
    report = check_eligibility(replace(GOOD, annual_assessments=failed_in(2021, 2023, 2024)), NOW)
    [finding] = report.findings
    assert (finding.code, finding.outcome) == ("ELIG-ANNUAL-CONSECUTIVE", R)
    assert "2023 至 2024 年连续 2 年" in finding.message_zh and "第十一条第（二）项" in finding.message_zh
    assert "article 11(2)" in finding.message_en
    stricter_province = EligibilityPolicy(consecutive_annual_failures_for_rejection=3)
    assert codes(replace(GOOD, annual_assessments=failed_in(2023, 2024)), stricter_province) == [("ELIG-ANNUAL", D)]


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


@pytest.mark.parametrize(("gap_days", "deferred"), [(139, False), (140, True), (183, True)])
def test_eligibility_gap_of_one_semester_or_more_defers(gap_days: int, deferred: bool) -> None:
    """第十条第（二）项: "一学期以上" includes one semester itself (about 20 teaching weeks)."""
    first_end = date(2022, 1, 31)
    restart = date.fromordinal(first_end.toordinal() + gap_days + 1)
    history = (WorkPeriod(date(2015, 9, 1), first_end, "一中", "教师"), WorkPeriod(restart, None, "二中", "教师"))
    report = check_eligibility(replace(GOOD, work_history=history), NOW)
    found = [(f.code, f.outcome) for f in report.findings]
    assert (("ELIG-SERVICE-GAP", D) in found) is deferred
    if deferred:
        assert "第十条第（二）项" in report.findings[0].message_zh and "产假" in report.findings[0].message_zh


def test_eligibility_history_starting_late_in_the_cycle_is_a_gap() -> None:
    history = (WorkPeriod(date(2023, 9, 1), None, "一中", "教师"),)
    report = check_eligibility(replace(GOOD, work_history=history), NOW)
    [finding] = report.findings
    assert finding.code == "ELIG-SERVICE-GAP" and "2021-03-10" in finding.message_zh


def test_eligibility_policy_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        EligibilityPolicy.from_settings({"min_hours": 1})
    with pytest.raises(ValueError):  # 第十一条第（二）项 needs consecutive years: one is never enough
        EligibilityPolicy.from_settings({"consecutive_annual_failures_for_rejection": 1})


def test_eligibility_overrides_saved_under_the_old_names_still_read() -> None:
    old = EligibilityPolicy.from_settings({"max_service_gap_days": 100, "annual_failures_for_rejection": 1})
    assert old == EligibilityPolicy(semester_days=101)


@pytest.mark.parametrize("materials", [
    replace(GOOD, continuing_education_hours=10), replace(GOOD, ethics_assessment="不合格"),
    replace(GOOD, work_history=(WorkPeriod(date(2015, 9, 1), date(2025, 1, 31), "一中", "教师"),)),
    replace(GOOD, annual_assessments=failed_in(2022)), replace(GOOD, annual_assessments=failed_in(2022, 2023)),
])
def test_every_finding_names_its_article_in_both_languages(materials: Materials) -> None:
    findings = check_eligibility(materials, NOW).findings
    assert findings
    for finding in findings:
        assert "《中小学教师资格定期注册暂行办法》第十" in finding.message_zh, finding
        assert "Interim Measures for the Periodic Registration of Teacher Qualifications, article 1" \
            in finding.message_en, finding
