"""Eligibility pre-check before submitting: do the answers point to 暂缓注册 or 注册不合格?

Only the authority decides (R-APP-2); this check warns the applicant early, names the rule, and
never blocks a submission. The rules and their default thresholds (an authority may set its own
through ``EligibilityPolicy``):

- ELIG-HOURS: fewer than 360 continuing-education hours in the five-year cycle -> DEFERRED
  (暂缓注册).
- ELIG-ANNUAL: an annual assessment of 不合格 in the cycle (``annual_failures_for_rejection``
  of them, default 1) -> REJECTED (注册不合格).
- ELIG-ETHICS: an ethics assessment of 不合格 -> REJECTED.
- ELIG-NOT-TEACHING: no work period reaching today (not teaching now) -> DEFERRED.
- ELIG-SERVICE-GAP: a gap in service inside the cycle longer than ``max_service_gap_days``
  (default 183, about six months) -> DEFERRED.
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
    annual_failures_for_rejection: int = 1
    max_service_gap_days: int = 183

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> EligibilityPolicy:
        """An authority's overrides (stored as JSON); unknown keys are refused, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown eligibility settings: {sorted(unknown)}")
        values = {k: int(v) for k, v in settings.items()}
        if any(v < 0 for v in values.values()) or values.get("annual_failures_for_rejection", 1) < 1:
            raise ValueError("eligibility thresholds must be positive")
        return cls(**values)


@dataclass(frozen=True)
class EligibilityFinding:
    code: str
    outcome: EligibilityOutcome
    message_zh: str
    message_en: str


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
            "ELIG-HOURS", D,
            f"五年内继续教育学时为 {hours}，少于要求的 {need} 学时，可能被暂缓注册",
            f"{hours} continuing-education hours in five years is below the {need} required; registration "
            "may be deferred",
        ))
    failed_years = [a.year for a in materials.annual_assessments if a.result == FAILED]
    if failed_years and len(failed_years) >= policy.annual_failures_for_rejection:
        years = "、".join(map(str, failed_years))
        findings.append(EligibilityFinding(
            "ELIG-ANNUAL", R,
            f"{years} 年度考核不合格，可能被认定为注册不合格",
            f"The annual assessment of {', '.join(map(str, failed_years))} was 不合格 (failed); registration "
            "may be refused",
        ))
    if materials.ethics_assessment == FAILED:
        findings.append(EligibilityFinding(
            "ELIG-ETHICS", R, "师德考核不合格，可能被认定为注册不合格",
            "The ethics assessment was 不合格 (failed); registration may be refused",
        ))
    if not any(p.end is None or p.end >= today for p in materials.work_history):
        findings.append(EligibilityFinding(
            "ELIG-NOT-TEACHING", D, "工作经历显示您目前没有在岗任教，可能被暂缓注册",
            "Your work history shows you are not teaching now; registration may be deferred",
        ))
    gap = longest_gap(materials, cycle_start(today), today)
    if gap is not None and (gap[1] - gap[0]).days > policy.max_service_gap_days:
        first, days = gap[0], (gap[1] - gap[0]).days
        last = gap[1] - timedelta(days=1)
        findings.append(EligibilityFinding(
            "ELIG-SERVICE-GAP", D,
            f"工作经历在 {first.isoformat()} 至 {last.isoformat()} 之间中断了 {days} 天，"
            f"超过 {policy.max_service_gap_days} 天（约半年），可能被暂缓注册",
            f"Your work history has a break of {days} days ({first.isoformat()} to {last.isoformat()}), "
            f"more than {policy.max_service_gap_days}; registration may be deferred",
        ))
    return EligibilityReport(tuple(findings))


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
