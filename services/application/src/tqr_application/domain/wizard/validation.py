"""Field-by-field checks of what the applicant sends for steps 3, 4 and 7.

Each ``parse_…`` returns the typed answer or raises InvalidInput listing every problem of the step
at once, with stable dotted field paths (``work_history[2].end``). Rules that compare two fields
of the same step and can only be an error live here too; comparisons that may be legitimate
(names, birth dates, provinces) are warnings in ``cross_checks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from servicekit import text
from servicekit.errors import InvalidInput

from tqr_application.domain.wizard import fields
from tqr_application.domain.wizard.answers import (
    ANNUAL_RESULTS,
    ETHICS_RESULTS,
    AnnualAssessment,
    CertificateData,
    Materials,
    WorkPeriod,
    assessment_years,
)
from tqr_application.domain.wizard.env import Account, ReferenceCodes, normalise_document_number
from tqr_application.domain.wizard.fields import Problems
from tqr_application.domain.wizard.steps import Step
from tqr_application.domain.wizard.warnings import UNUSUAL_CERTIFICATE_NUMBER, WizardWarning

USUAL_CERTIFICATE_LENGTHS = (15, 17)
# The longest number accepted: what the registry's column holds (a certificate number has 15 or
# 17 digits; shorter ones are a warning, longer ones can be no certificate's number). Stored
# application columns are wider (30, migration 0005), so nothing accepted is ever cut short.
MAX_CERTIFICATE_NUMBER = 17
MAX_HOURS = 5000
ADULT_AGE = 18
GENDERS = ("M", "F")


def _raise(p: Problems) -> None:
    if p:
        raise InvalidInput(p.items, code=p.rule)


# --- step 3 ---------------------------------------------------------------------------------------


def read_certificate_number(p: Problems, raw: object, field: str = "certificate_number") -> str:
    """The typed certificate number in its canonical form (R-WIZ-11: full width folded, spaces
    and dashes dropped, upper case), or "" with a problem recorded when it cannot be one."""
    number = text.normalise_number(raw) if isinstance(raw, str) else ""
    if not number:
        p.add(field, "请填写教师资格证书号码，见证书内页", "Fill in the certificate number from the certificate")
    elif len(number) > MAX_CERTIFICATE_NUMBER:
        p.add(field, f"证书号码最多 {MAX_CERTIFICATE_NUMBER} 位，您填写了 {len(number)} 位。请照证书内页填写",
              f"A certificate number has at most {MAX_CERTIFICATE_NUMBER} characters; you typed {len(number)}. "
              "Copy it from the certificate")
        return ""
    elif not (number.isascii() and number.isalnum()):
        p.add(field, "证书号码只能包含数字和字母，请照证书填写",
              "The certificate number has only digits and letters; copy it from the certificate")
        return ""
    return number


def parse_certificate_number(values: Mapping[str, Any], account: Account) -> str:
    """The certificate number typed, normalised (R-WIZ-11) before any check or look-up. The
    document is the account's own: a different ``document_number``, if the client sends one, is
    refused (never echoed back)."""
    p = Problems(Step.CERTIFICATE_AND_ID.rule)
    number = read_certificate_number(p, values.get("certificate_number"))
    typed = values.get("document_number")
    if isinstance(typed, str) and typed.strip():
        if normalise_document_number(typed) != normalise_document_number(account.document_number):
            p.add("document_number", "证件号码应与您账号实名核验的证件号码一致",
                  "The document number must be the one your account was verified with")
    _raise(p)
    return number


def certificate_number_warning(number: str) -> WizardWarning | None:
    if number.isdigit() and len(number) in USUAL_CERTIFICATE_LENGTHS:
        return None
    return WizardWarning(
        UNUSUAL_CERTIFICATE_NUMBER, Step.CERTIFICATE_AND_ID, "certificate_number",
        f"证书号码通常是 15 位或 17 位数字，您填写的是 {len(number)} 位。请核对证书；确认无误可选择“仍然继续”",
        f"Certificate numbers usually have 15 or 17 digits; yours has {len(number)} characters. Check the "
        "certificate, or choose to continue if it is right",
    )


# --- step 4 ---------------------------------------------------------------------------------------


def _birth_and_gender(p: Problems, values: Mapping[str, Any], today: date, need: tuple[str, ...]
                      ) -> tuple[str | None, date | None]:
    gender = None
    if "gender" in need:
        gender = fields.choice(p, values, "gender", GENDERS, "持证人性别", "holder's gender")
    birth = None
    if "birth_date" in need:
        birth = fields.a_date(p, values, "birth_date", "出生日期", "date of birth", today=today)
    return gender, birth


def parse_certificate_data(values: Mapping[str, Any], codes: ReferenceCodes, today: date) -> CertificateData:
    """Every field as printed on the certificate (self-filled, not locked)."""
    p = Problems(Step.CERTIFICATE_DATA_AND_AUTHORITY.rule)
    holder = fields.text(p, values, "holder_name", "持证人姓名", "holder's name", max_length=50)
    gender, birth = _birth_and_gender(p, values, today, ("gender", "birth_date"))
    kind = fields.choice(p, values, "certificate_type_code", codes.certificate_types, "资格种类", "certificate type")
    subject = fields.choice(
        p, values, "subject_code", codes.subjects,
        "证书上的任教学科（没有注明学科的选“无”；列表中没有的请联系省级教师资格认定指导部门）",
        "subject on the certificate (无 if none; if yours is missing, contact the provincial guiding centre)",
        code="R-REF-1" if values.get("subject_code") else None,
    )
    body = fields.text(p, values, "issuing_body", "发证机关", "issuing body")
    issued = fields.a_date(p, values, "issue_date", "发证日期", "issue date", today=today)
    if issued is not None and birth is not None and issued < adult_on(birth):
        p.add("issue_date", "发证日期不可能早于持证人年满 18 周岁的日期，请核对发证日期和出生日期",
              "The issue date cannot be before the holder turned 18; check both dates")
    _raise(p)
    assert holder and gender and birth and kind and subject and body and issued  # narrowed: _raise found none missing
    return CertificateData(holder_name=holder, gender=gender, birth_date=birth, certificate_type_code=kind,
                           subject_code=subject, issuing_body=body, issue_date=issued)


def complete_registry_certificate(locked: CertificateData, values: Mapping[str, Any], today: date) -> CertificateData:
    """Registry data stays as recorded; the applicant supplies only what the record lacks."""
    need = locked.missing_registry_fields
    if not need:
        return locked
    p = Problems(Step.CERTIFICATE_DATA_AND_AUTHORITY.rule)
    gender, birth = _birth_and_gender(p, values, today, need)
    _raise(p)
    return replace(locked, gender=gender or locked.gender, birth_date=birth or locked.birth_date)


def adult_on(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        return date(birth.year + ADULT_AGE, 3, 1)


# --- step 7 ---------------------------------------------------------------------------------------


def parse_materials(values: Mapping[str, Any], today: date) -> Materials:
    p = Problems(Step.MATERIALS.rule)
    mail = fields.email(p, values)
    school = fields.text(p, values, "school", "现任职学校", "current school")
    post = fields.text(p, values, "post", "现任岗位或职务", "current post")
    employed = fields.a_date(p, values, "employment_start", "现单位任职开始日期", "start date at the current school",
                             today=today)
    history = _work_history(p, values, today)
    assessments = _annual_assessments(p, values, today)
    ethics = fields.choice(p, values, "ethics_assessment", ETHICS_RESULTS, "师德考核结果", "ethics assessment result")
    hours = fields.whole_number(p, values, "continuing_education_hours", "五年内继续教育学时",
                                "continuing education hours", low=0, high=MAX_HOURS)
    _raise(p)
    assert mail and school and post and employed and ethics and hours is not None
    return Materials(email=mail, school=school, post=post, employment_start=employed,
                     work_history=history, annual_assessments=assessments, ethics_assessment=ethics,
                     continuing_education_hours=hours)


def _work_history(p: Problems, values: Mapping[str, Any], today: date) -> tuple[WorkPeriod, ...]:
    rows = fields.items(p, values, "work_history", "近五年工作经历", "work history of the last five years")
    periods: list[WorkPeriod] = []
    open_ended = 0
    for i, row in enumerate(rows):
        at = f"work_history[{i}]"
        start = fields.a_date(p, row, "start", "开始日期", "start date", today=today, field=f"{at}.start")
        end = fields.a_date(p, row, "end", "结束日期", "end date", today=today, field=f"{at}.end", optional=True)
        school = fields.text(p, row, "school", "工作单位", "school or employer", field=f"{at}.school")
        post = fields.text(p, row, "post", "岗位或职务", "post", field=f"{at}.post")
        if _is_blank(row.get("end")):
            open_ended += 1
            if open_ended > 1:
                p.add(f"{at}.end", "只有目前的工作可以不填结束日期，请填写这段经历的结束日期",
                      "Only your current job may be left without an end date; give this one's end date")
        if start and end and end < start:
            p.add(f"{at}.end", "结束日期不能早于开始日期", "The end date cannot be before the start date")
        if start and school and post:
            periods.append(WorkPeriod(start, end, school, post))
    return tuple(sorted(periods, key=lambda w: w.start))


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _annual_assessments(p: Problems, values: Mapping[str, Any], today: date) -> tuple[AnnualAssessment, ...]:
    wanted = assessment_years(today)
    rows = fields.items(p, values, "annual_assessments", "近五年年度考核结果", "annual assessment results",
                        max_items=10)
    found: dict[int, AnnualAssessment] = {}
    problems_before = len(p.items)
    for i, row in enumerate(rows):
        at = f"annual_assessments[{i}]"
        year = row.get("year")
        year = int(year) if isinstance(year, str) and year.strip().isdigit() else year
        if not isinstance(year, int) or isinstance(year, bool) or year not in wanted:
            p.add(f"{at}.year", f"考核年度应为 {wanted[0]} 至 {wanted[-1]} 年中的一年",
                  f"The year must be one of {wanted[0]} to {wanted[-1]}")
            continue
        if year in found:
            p.add(f"{at}.year", f"{year} 年的考核结果填了两次", f"The result for {year} is given twice")
            continue
        result = fields.choice(p, row, "result", ANNUAL_RESULTS, f"{year} 年度考核结果",
                               f"assessment result for {year}", field=f"{at}.result")
        if result:
            found[year] = AnnualAssessment(year, result)
    missing = [y for y in wanted if y not in found]
    if rows and missing and len(p.items) == problems_before:
        p.add("annual_assessments", f"还缺少 {'、'.join(map(str, missing))} 年的年度考核结果",
              f"Results are missing for {', '.join(map(str, missing))}")
    return tuple(found[y] for y in wanted if y in found)
