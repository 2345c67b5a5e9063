"""What an applicant may still change after submitting (R-APP-3, R-APP-6).

- SUBMITTED: self-filled certificate data, the confirmation point (another point of the same plan
  whose confirmation window has not ended), 现任教学段 and 现任教学科, the application materials
  (work section) and contact details, until the chosen point's confirmation window ends; the
  application number stays the same. Certificate data taken from the registry is never editable.
- WRONG_AUTHORITY: only the authority and the confirmation point, inside the new plan's online
  application window.
- Every other status: read-only. (Password changes belong to the identity service.)

Windows are closed intervals [start, end]: an edit at exactly ``end`` is still allowed. The
plan and point windows are passed in as datetimes; this module does not know about plans.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from servicekit.errors import RuleViolation

from tqr_application.domain.reference import RegistryCertificate
from tqr_application.domain.status import STATUS_INFO, ApplicationStatus, EditScope

RULE = "R-APP-3"
# Shown to people in China: Beijing time has no DST, so a fixed offset is exact.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class FieldGroup(StrEnum):
    CERTIFICATE = "CERTIFICATE"  # certificate section (self-filled only)
    MATERIALS = "MATERIALS"  # current work section: school, post, history, assessments, hours
    CONTACT = "CONTACT"  # email
    AUTHORITY_AND_POINT = "AUTHORITY_AND_POINT"
    POINT = "POINT"  # R-APP-6: another point of the same plan while SUBMITTED
    TEACHING = "TEACHING"  # R-APP-6: 现任教学段 and 现任教学科


@dataclass(frozen=True)
class CertificateSection:
    """The certificate part of an application; ``locked`` when it came from the registry."""

    certificate_number: str
    document_number: str  # personal data: never put it in a message or a log line
    holder_name: str
    certificate_type_code: str
    subject_code: str
    issuing_body: str
    issue_date: date
    locked: bool = False

    @classmethod
    def from_registry(cls, record: RegistryCertificate) -> CertificateSection:
        return cls(
            certificate_number=record.certificate_number,
            document_number=record.document_number,
            holder_name=record.holder_name,
            certificate_type_code=record.certificate_type_code,
            subject_code=record.subject_code,
            issuing_body=record.issuing_body,
            issue_date=record.issue_date,
            locked=True,
        )


# (certificate number, document number) -> the registry record, or None when not on record.
RegistryLookup = Callable[[str, str], RegistryCertificate | None]


@dataclass(frozen=True)
class CertificateEditOutcome:
    section: CertificateSection
    replaced_from_registry: bool  # tell the applicant their entry was replaced by registry data


def edit_deadline(status: ApplicationStatus, *, confirmation_end: datetime) -> datetime | None:
    """R-APP-6: until when the applicant may change the filed application, or None when this
    status allows no edits by the applicant (or only the WRONG_AUTHORITY correction, whose limit is
    the new plan's window). The one value the status page, the form notice and every notification
    show, so that they never name two different deadlines."""
    if STATUS_INFO[status].edit_scope is EditScope.ALL_UNTIL_CONFIRMATION_ENDS:
        return confirmation_end
    return None


def editable_groups(
    status: ApplicationStatus,
    *,
    now: datetime,
    confirmation_end: datetime,
    certificate_locked: bool,
    online_window_open: bool = True,
) -> frozenset[FieldGroup]:
    """The field groups the applicant may change right now (for showing edit links).

    ``confirmation_end`` is the end of the chosen point's confirmation window;
    ``online_window_open`` says whether the applicant can still re-choose an authority (for
    WRONG_AUTHORITY the service layer passes whether any plan window is open to them; the
    chosen plan is checked again with ``ensure_may_change_authority``).
    """
    _require_aware(now)
    scope = STATUS_INFO[status].edit_scope
    if scope is EditScope.ALL_UNTIL_CONFIRMATION_ENDS and now <= confirmation_end:
        groups = {FieldGroup.MATERIALS, FieldGroup.CONTACT, FieldGroup.POINT, FieldGroup.TEACHING}
        if not certificate_locked:
            groups.add(FieldGroup.CERTIFICATE)
        return frozenset(groups)
    if scope is EditScope.AUTHORITY_AND_POINT_IN_ONLINE_WINDOW and online_window_open:
        return frozenset({FieldGroup.AUTHORITY_AND_POINT})
    return frozenset()


def ensure_may_edit(
    status: ApplicationStatus,
    group: FieldGroup,
    *,
    now: datetime,
    confirmation_end: datetime,
    certificate_locked: bool = False,
) -> None:
    """Refuse an edit of ``group`` with a message that says why (RuleViolation R-APP-3).

    For AUTHORITY_AND_POINT use ``ensure_may_change_authority``, which needs the new plan.
    """
    _require_aware(now)
    scope = STATUS_INFO[status].edit_scope
    if group is FieldGroup.AUTHORITY_AND_POINT:
        raise ValueError("use ensure_may_change_authority for the authority and point")
    if scope is EditScope.AUTHORITY_AND_POINT_IN_ONLINE_WINDOW:
        raise _violation(
            "您选错了注册机构，现在只能更正注册机构和现场确认点",
            "You chose the wrong authority; only the authority and point can be changed now",
        )
    if scope is EditScope.NOTHING:
        label = STATUS_INFO[status]
        raise _violation(
            f"申请状态为“{label.label_zh}”，申请信息只能查看，不能修改",
            f"The application is “{label.label_en}”: it can be viewed but no longer changed",
        )
    if now > confirmation_end:
        raise _violation(
            "现场确认时间已结束，申请信息不能再修改",
            "The on-site confirmation period has ended; the application can no longer be changed",
        )
    if group is FieldGroup.CERTIFICATE and certificate_locked:
        raise _violation(
            "证书信息来自教师资格信息系统，不能修改",
            "The certificate details come from the registry and cannot be changed",
        )


def edit_certificate(
    status: ApplicationStatus,
    current: CertificateSection,
    proposed: CertificateSection,
    *,
    now: datetime,
    confirmation_end: datetime,
    lookup: RegistryLookup,
) -> CertificateEditOutcome:
    """Apply an edit of the self-filled certificate section.

    If the edited (certificate number, document number) now matches the registry, the registry
    record replaces the applicant's entry and locks it, whatever else they typed.
    """
    ensure_may_edit(
        status, FieldGroup.CERTIFICATE, now=now, confirmation_end=confirmation_end,
        certificate_locked=current.locked,
    )
    record = lookup(proposed.certificate_number.strip(), proposed.document_number.strip())
    if record is not None:
        return CertificateEditOutcome(CertificateSection.from_registry(record), replaced_from_registry=True)
    return CertificateEditOutcome(replace(proposed, locked=False), replaced_from_registry=False)


def ensure_may_change_point(
    status: ApplicationStatus,
    *,
    now: datetime,
    confirmation_end: datetime,
    new_point_confirm_end: datetime | None,
) -> None:
    """R-APP-6: while SUBMITTED and inside the chosen point's window, another point of the same
    plan, provided its own confirmation window has not ended (the application could never be
    confirmed there)."""
    ensure_may_edit(status, FieldGroup.POINT, now=now, confirmation_end=confirmation_end)
    if new_point_confirm_end is None:
        raise RuleViolation(
            "R-APP-6", "请选择本注册计划中的现场确认点", "Choose a confirmation point of this registration plan"
        )
    if now > new_point_confirm_end:
        raise RuleViolation(
            "R-APP-6",
            "该现场确认点的确认时间已结束，请选择其他确认点",
            "This confirmation point's dates have ended; choose another point",
        )


def ensure_may_change_authority(
    status: ApplicationStatus,
    *,
    now: datetime,
    new_plan_online_start: datetime,
    new_plan_online_end: datetime,
    new_point_confirm_end: datetime | None = None,
) -> None:
    """WRONG_AUTHORITY: the applicant may pick another authority and point, but only inside the
    new plan's online window and only a point whose confirmation window has not ended.
    (No plan at all is R-PLAN-2, checked where plans are known.)"""
    _require_aware(now)
    if STATUS_INFO[status].edit_scope is not EditScope.AUTHORITY_AND_POINT_IN_ONLINE_WINDOW:
        raise _violation(
            "只有在注册机构告知您选错了注册机构时，才能改选注册机构和现场确认点",
            "You can choose another authority and point only when told you chose the wrong authority",
        )
    if now < new_plan_online_start:
        raise _violation(
            f"该注册机构的网上申报尚未开始，开始时间：{_zh(new_plan_online_start)}",
            f"Online applications to this authority have not opened yet; they open "
            f"{_en(new_plan_online_start)}",
        )
    if now > new_plan_online_end:
        raise _violation(
            f"该注册机构的网上申报已经结束，截止时间：{_zh(new_plan_online_end)}",
            f"Online applications to this authority closed {_en(new_plan_online_end)}",
        )
    if new_point_confirm_end is not None and now > new_point_confirm_end:
        raise _violation(
            "该现场确认点的确认时间已结束，请选择其他确认点",
            "This confirmation point's dates have ended; choose another point",
        )


def _violation(zh: str, en: str) -> RuleViolation:
    return RuleViolation(RULE, zh, en)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")


def _zh(at: datetime) -> str:
    local = at.astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _en(at: datetime) -> str:
    local = at.astimezone(BEIJING)
    return f"{local:%Y-%m-%d %H:%M} (Beijing time)"
