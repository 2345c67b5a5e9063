"""Builders shared by the wizard's unit tests: a clock at a fixed point of an online window,
authorities with and without plans, an account, a registry record and valid answers to every step."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
    WizardEnv,
    new_draft,
    submit_step,
)

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
                     registry_knows=lambda number: number == REGISTRY.certificate_number,
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


def fields_of(exc: InvalidInput) -> set[str]:
    return {p.field for p in exc.problems}
