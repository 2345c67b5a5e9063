"""Eligibility pre-check before submitting: do the answers point to 暂缓注册 or 注册不合格?

Only the authority decides (R-APP-2); this check warns the applicant early, names the article of
《中小学教师资格定期注册暂行办法》 (教师〔2013〕9号) each finding comes from, and never blocks a
submission. The rules and their default thresholds (an authority may set its own through
``EligibilityPolicy``):

- ELIG-HOURS (第十条第（一）项): fewer than 360 continuing-education hours in the five-year cycle
  -> DEFERRED (暂缓注册).
- ELIG-ANNUAL (第十条第（三）项): an annual assessment of 不合格 in any one year of the cycle
  -> DEFERRED.
- ELIG-ANNUAL-CONSECUTIVE (第十一条第（二）项): 不合格 in ``consecutive_annual_failures_for_rejection``
  (default 2) or more consecutive years of the cycle -> REJECTED (注册不合格).
- ELIG-ETHICS (第十一条第（一）项): an ethics assessment of 不合格 -> REJECTED.
- ELIG-NOT-TEACHING (第十条第（二）项): no work period reaching today (not teaching now) -> DEFERRED.
- ELIG-SERVICE-GAP (第十条第（二）项): a gap in service inside the cycle of at least
  ``semester_days`` (default 140, one semester) -> DEFERRED.

Corrected against the text (issue 19 item 23); before, the check said:

- one failed annual assessment -> REJECTED. 第十条第（三）项 defers for a failure in any one year;
  only 第十一条第（二）项, two or more consecutive failed years ("连续两年以上（含两年）"), refuses.
  Two failed years that are not consecutive therefore defer, they do not refuse.
- a gap "longer than 183 days (about six months)" -> DEFERRED. 第十条第（二）项 says "中止教育教学
  和教育管理工作一学期以上"; in Chinese law "以上" includes the number itself, and a school
  semester is about 20 teaching weeks, so a break of one semester (140 days) or more now counts.
  The article excepts approved study, training, exchanges, sick and maternity leave, which the
  answers cannot tell apart: the finding says so, and the authority decides.

Authority overrides stored under the old names are read as follows: ``max_service_gap_days`` (a gap
longer than N days) becomes ``semester_days`` N + 1; ``annual_failures_for_rejection`` is dropped,
since refusing for failures that are not consecutive would contradict 第十一条.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from tqr_application.domain.plans import SHANGHAI
from tqr_application.domain.wizard.answers import FAILED, Materials, cycle_start


class EligibilityOutcome(StrEnum):
    DEFERRED = "DEFERRED"  # 暂缓注册
    REJECTED = "REJECTED"  # 注册不合格


@dataclass(frozen=True)
class EligibilityPolicy:
    min_continuing_education_hours: int = 360
    consecutive_annual_failures_for_rejection: int = 2
    semester_days: int = 140

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> EligibilityPolicy:
        """An authority's overrides (stored as JSON); unknown keys are refused, not ignored."""
        settings = _renamed(settings)
        known = {f.name for f in fields(cls)}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown eligibility settings: {sorted(unknown)}")
        values = {k: int(v) for k, v in settings.items()}
        if any(v < 0 for v in values.values()) or values.get("consecutive_annual_failures_for_rejection", 2) < 2 \
                or values.get("semester_days", 1) < 1:
            raise ValueError("eligibility thresholds must be positive (and refusal needs two consecutive years)")
        return cls(**values)


def _renamed(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Overrides saved under the names before the correction (see the module's docstring)."""
    out = {k: v for k, v in settings.items() if k not in ("max_service_gap_days", "annual_failures_for_rejection")}
    if "max_service_gap_days" in settings and "semester_days" not in settings:
        out["semester_days"] = int(settings["max_service_gap_days"]) + 1
    return out


REGULATION_ZH = "《中小学教师资格定期注册暂行办法》"
REGULATION_EN = "Interim Measures for the Periodic Registration of Teacher Qualifications"


@dataclass(frozen=True)
class Article:
    """Where in 《中小学教师资格定期注册暂行办法》 a finding comes from."""

    article: int  # 第十条 -> 10
    item: int  # 第（一）项 -> 1

    @property
    def zh(self) -> str:
        article, item = _CHINESE_NUMBERS[self.article], _CHINESE_NUMBERS[self.item]
        return f"{REGULATION_ZH}第{article}条第（{item}）项"

    @property
    def en(self) -> str:
        return f"{REGULATION_EN}, article {self.article}({self.item})"


_CHINESE_NUMBERS = {1: "一", 2: "二", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十",
                    11: "十一", 12: "十二"}
HOURS_ARTICLE, SUSPENDED_ARTICLE, ONE_FAILED_YEAR_ARTICLE = Article(10, 1), Article(10, 2), Article(10, 3)
ETHICS_ARTICLE, CONSECUTIVE_FAILURES_ARTICLE = Article(11, 1), Article(11, 2)


@dataclass(frozen=True)
class EligibilityFinding:
    code: str
    outcome: EligibilityOutcome
    article: Article
    what_zh: str  # the finding itself; the messages add where it comes from
    what_en: str

    @property
    def message_zh(self) -> str:
        return f"{self.what_zh}（依据{self.article.zh}）"

    @property
    def message_en(self) -> str:
        return f"{self.what_en} ({self.article.en})"


@dataclass(frozen=True)
class EligibilityReport:
    findings: tuple[EligibilityFinding, ...]

    @property
    def eligible(self) -> bool:
        return not self.findings

    @property
    def likely_outcome(self) -> EligibilityOutcome | None:
        """The most serious outcome the findings point to (REJECTED over DEFERRED)."""
        outcomes = {f.outcome for f in self.findings}
        if EligibilityOutcome.REJECTED in outcomes:
            return EligibilityOutcome.REJECTED
        return EligibilityOutcome.DEFERRED if outcomes else None


def check_eligibility(materials: Materials, now: datetime, policy: EligibilityPolicy | None = None
                      ) -> EligibilityReport:
    policy = policy or EligibilityPolicy()
    today = now.astimezone(SHANGHAI).date()
    findings: list[EligibilityFinding] = []
    D, R = EligibilityOutcome.DEFERRED, EligibilityOutcome.REJECTED
    hours, need = materials.continuing_education_hours, policy.min_continuing_education_hours
    if hours < need:
        findings.append(EligibilityFinding(
            "ELIG-HOURS", D, HOURS_ARTICLE,
            f"五年内继续教育学时为 {hours}，少于要求的 {need} 学时，可能被暂缓注册",
            f"{hours} continuing-education hours in five years is below the {need} required; registration "
            "may be deferred",
        ))
    findings += annual_findings(materials, policy)
    if materials.ethics_assessment == FAILED:
        findings.append(EligibilityFinding(
            "ELIG-ETHICS", R, ETHICS_ARTICLE, "师德考核不合格，可能被认定为注册不合格",
            "The ethics assessment was 不合格 (failed); registration may be refused",
        ))
    if not any(p.end is None or p.end >= today for p in materials.work_history):
        findings.append(EligibilityFinding(
            "ELIG-NOT-TEACHING", D, SUSPENDED_ARTICLE,
            "工作经历显示您目前没有在岗任教，可能被暂缓注册（经批准的进修、培训、学术交流、病休、产假等除外）",
            "Your work history shows you are not teaching now; registration may be deferred (approved study, "
            "training, exchanges, sick or maternity leave excepted)",
        ))
    gap = longest_gap(materials, cycle_start(today), today)
    if gap is not None and (gap[1] - gap[0]).days >= policy.semester_days:
        first, days = gap[0], (gap[1] - gap[0]).days
        last = gap[1] - timedelta(days=1)
        findings.append(EligibilityFinding(
            "ELIG-SERVICE-GAP", D, SUSPENDED_ARTICLE,
            f"工作经历在 {first.isoformat()} 至 {last.isoformat()} 之间中断了 {days} 天，"
            f"达到一个学期（{policy.semester_days} 天）以上，可能被暂缓注册"
            "（经批准的进修、培训、学术交流、病休、产假等除外）",
            f"Your work history has a break of {days} days ({first.isoformat()} to {last.isoformat()}), one "
            f"semester ({policy.semester_days} days) or more; registration may be deferred (approved study, "
            "training, exchanges, sick or maternity leave excepted)",
        ))
    return EligibilityReport(tuple(findings))


def annual_findings(materials: Materials, policy: EligibilityPolicy) -> list[EligibilityFinding]:
    """A failed year defers (第十条第（三）项); consecutive failed years refuse (第十一条第（二）项)."""
    failed_years = sorted(a.year for a in materials.annual_assessments if a.result == FAILED)
    if not failed_years:
        return []
    run = longest_run(failed_years)
    if len(run) >= policy.consecutive_annual_failures_for_rejection:
        return [EligibilityFinding(
            "ELIG-ANNUAL-CONSECUTIVE", EligibilityOutcome.REJECTED, CONSECUTIVE_FAILURES_ARTICLE,
            f"{run[0]} 至 {run[-1]} 年连续 {len(run)} 年年度考核不合格，可能被认定为注册不合格",
            f"The annual assessments of {run[0]} to {run[-1]} were 不合格 (failed) {len(run)} years in a row; "
            "registration may be refused",
        )]
    years_zh, years_en = "、".join(map(str, failed_years)), ", ".join(map(str, failed_years))
    return [EligibilityFinding(
        "ELIG-ANNUAL", EligibilityOutcome.DEFERRED, ONE_FAILED_YEAR_ARTICLE,
        f"{years_zh} 年度考核不合格，可能被暂缓注册",
        f"The annual assessment of {years_en} was 不合格 (failed); registration may be deferred",
    )]


def longest_run(years: list[int]) -> list[int]:
    """The longest stretch of consecutive years in a sorted list (the first one on a tie)."""
    best: list[int] = []
    current: list[int] = []
    for year in years:
        current = [*current, year] if current and year == current[-1] + 1 else [year]
        if len(current) > len(best):
            best = current
    return best


def longest_gap(materials: Materials, start: date, end: date) -> tuple[date, date] | None:
    """The longest stretch of days in [start, end] no work period covers, as [first day, day after)."""
    stop = end + timedelta(days=1)
    covered = sorted((p.start, (p.end or end) + timedelta(days=1)) for p in materials.work_history)
    gaps: list[tuple[date, date]] = []
    cursor = start
    for period_start, period_stop in covered:
        if period_start > cursor:
            gaps.append((cursor, min(period_start, stop)))
        cursor = max(cursor, period_stop)
    if cursor < stop:
        gaps.append((cursor, stop))
    gaps = [g for g in gaps if g[0] < g[1]]
    return max(gaps, key=lambda g: g[1] - g[0]) if gaps else None
