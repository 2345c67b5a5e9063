"""Submitting the draft: every problem at once, the frozen application data, the done page.

``ready_to_submit`` re-checks the whole draft at the moment of submission (answers were valid
when saved; the plan, the window and "the last five years" may have moved since) and lists every
problem. ``ensure_ready_to_submit`` turns that list into the one refusal to raise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from servicekit.errors import FieldProblem, InvalidInput, RuleViolation
from servicekit.masking import mask_document_number

from tqr_application.domain import plans
from tqr_application.domain.plans import RegistrationPlan
from tqr_application.domain.reference import Authority
from tqr_application.domain.wizard import validation
from tqr_application.domain.wizard.answers import AuthorityChoice, CertificateData, Materials
from tqr_application.domain.wizard.cross_checks import certificate_warnings, materials_warnings
from tqr_application.domain.wizard.draft import Draft, SubmissionRecord
from tqr_application.domain.wizard.env import Account, Masker, ReferenceCodes
from tqr_application.domain.wizard.machine import beijing_today, ensure_not_submitted
from tqr_application.domain.wizard.steps import ANSWERABLE_STEPS, STEP_ORDER_RULE, Step
from tqr_application.domain.wizard.warnings import WarningsNeedConfirmation, WizardWarning


@dataclass(frozen=True)
class SubmissionProblem:
    step: Step
    code: str
    field: str  # dotted path within the step ("" when about the whole step or the plan)
    message_zh: str
    message_en: str
    warning: WizardWarning | None = None  # set when the applicant may override it
    about_plan: bool = False  # the plan refuses (window, plan gone, no points), not an answer

    @property
    def overridable(self) -> bool:
        return self.warning is not None


def _from_warning(w: WizardWarning) -> SubmissionProblem:
    return SubmissionProblem(w.step, w.warning_id, w.field, w.message_zh, w.message_en, w)


def _from_fields(step: Step, problems: Iterable[FieldProblem]) -> list[SubmissionProblem]:
    return [SubmissionProblem(step, p.code, p.field, p.message_zh, p.message_en) for p in problems]


def ready_to_submit(draft: Draft, now: datetime, plan: RegistrationPlan | None, *, account: Account | None = None,
                    authority: Authority | None = None, codes: ReferenceCodes | None = None
                    ) -> list[SubmissionProblem]:
    """Every reason the draft cannot be submitted at ``now`` into ``plan`` (empty: ready).

    ``plan`` is the plan the draft's authority choice names (None when it no longer exists).
    Pass ``account`` and ``authority`` so the warnings about names, birth dates and provinces are
    checked again; ``codes`` to re-check the chosen codes against today's lists.
    """
    if draft.submitted:
        return [SubmissionProblem(Step.DONE, "R-WIZ-9", "", "这份申报已经提交", "This application has been submitted")]
    problems = [
        SubmissionProblem(step, step.rule, "", f"第 {int(step)} 步“{step.title_zh}”尚未完成",
                          f"Step {int(step)} ({step.title_en}) is not finished")
        for step in ANSWERABLE_STEPS if not draft.is_complete(step)
    ]
    problems += _plan_problems(draft, now, plan)
    today = beijing_today(now)
    if draft.certificate is not None and not draft.certificate.locked:
        try:
            validation.parse_certificate_data(draft.certificate.to_dict(), codes or ReferenceCodes(), today)
        except InvalidInput as exc:
            problems += _from_fields(Step.CERTIFICATE_DATA_AND_AUTHORITY, exc.problems)
    warnings: list[WizardWarning] = []
    if draft.certificate is not None and account is not None:
        warnings += certificate_warnings(draft.certificate, account, authority)
    if draft.materials is not None:
        try:
            validation.parse_materials(draft.materials.to_dict(), today)
        except InvalidInput as exc:
            problems += _from_fields(Step.MATERIALS, exc.problems)
        warnings += materials_warnings(draft.materials, today)
    problems += [_from_warning(w) for w in warnings if w.warning_id not in draft.overridden_warnings]
    return problems


def _plan_problems(draft: Draft, now: datetime, plan: RegistrationPlan | None) -> list[SubmissionProblem]:
    if draft.authority is None:
        return []
    step = Step.CERTIFICATE_DATA_AND_AUTHORITY
    if plan is None or plan.plan_id != draft.authority.plan_id:
        return [SubmissionProblem(step, "R-PLAN-2", "authority_code",
                                  "所选注册机构的注册计划已经变更，请回到第 4 步重新选择注册机构",
                                  "The authority's registration plan has changed; choose the authority again at step 4",
                                  about_plan=True)]
    found: list[SubmissionProblem] = []
    try:
        plans.require_online_window_open(plan, now, rule="R-WIZ-7")
    except RuleViolation as exc:
        found.append(SubmissionProblem(Step.MATERIALS, exc.code, "", exc.message_zh, exc.message_en, about_plan=True))
    if not plan.point_windows:
        found.append(SubmissionProblem(Step.CONFIRMATION_POINT, "R-PLAN-3", "point_code",
                                       "该注册计划尚未安排现场确认点", "The plan has no confirmation point yet",
                                       about_plan=True))
    elif draft.point_code is not None and plan.window_of(draft.point_code) is None:
        found.append(SubmissionProblem(Step.CONFIRMATION_POINT, "R-WIZ-5", "point_code",
                                       "您选择的现场确认点已不在注册计划中，请重新选择",
                                       "The confirmation point you chose is no longer in the plan; choose again"))
    elif draft.point_code is not None:
        window = plan.window_of(draft.point_code)
        assert window is not None  # checked just above
        try:
            plans.require_confirmation_window_not_ended(window, now)
        except InvalidInput as exc:
            problem = exc.problems[0]
            found.append(SubmissionProblem(Step.CONFIRMATION_POINT, problem.code, "point_code",
                                           problem.message_zh, problem.message_en))
    return found


class NotReadyToSubmit(InvalidInput):
    """Answers need correcting before submission; ``submission_problems`` keeps their steps."""

    def __init__(self, problems: list[SubmissionProblem]) -> None:
        super().__init__([FieldProblem(p.field or f"step_{int(p.step)}", p.code, p.message_zh, p.message_en)
                          for p in problems], code="R-WIZ-7",
                         message_zh="提交前还有信息需要修改，请按提示修改",
                         message_en="Some answers need correcting before you submit")
        self.submission_problems = tuple(problems)


def ensure_ready_to_submit(draft: Draft, now: datetime, plan: RegistrationPlan | None, *,
                           account: Account | None = None, authority: Authority | None = None,
                           codes: ReferenceCodes | None = None, override_warnings: Iterable[str] = ()) -> Draft:
    """Raise the one refusal that fits, or return the draft with any warnings overridden now.

    Order: already submitted (R-WIZ-9); the plan refuses (window closed R-WIZ-7, plan gone
    R-PLAN-2, no points R-PLAN-3) as RuleViolation; answers to correct as NotReadyToSubmit;
    warnings not overridden as WarningsNeedConfirmation.
    """
    ensure_not_submitted(draft)
    problems = ready_to_submit(draft, now, plan, account=account, authority=authority, codes=codes)
    for p in problems:
        if p.about_plan:
            raise RuleViolation(p.code, p.message_zh, p.message_en)
    errors = [p for p in problems if not p.overridable]
    if errors:
        raise NotReadyToSubmit(errors)
    accepted = set(override_warnings)
    pending = [p.warning for p in problems if p.warning is not None and p.warning.warning_id not in accepted]
    if pending:
        raise WarningsNeedConfirmation(pending)
    newly = tuple(p.code for p in problems if p.overridable)
    return replace(draft, overridden_warnings=draft.overridden_warnings + newly) if newly else draft


# --- the frozen application and the done page ------------------------------------------------------


@dataclass(frozen=True)
class ApplicationSnapshot:
    """What the application is made of at submission; the draft's answers, fixed."""

    draft_id: str
    owner_subject_id: str
    certificate_number: str
    document_type: str
    document_number_masked: str
    certificate: CertificateData
    authority: AuthorityChoice
    point_code: str
    materials: Materials
    overridden_warnings: tuple[str, ...]
    terms_accepted_at: datetime

    @property
    def certificate_locked(self) -> bool:
        return self.certificate.locked

    def to_dict(self) -> dict[str, Any]:
        return {
            "draft_id": self.draft_id, "owner_subject_id": self.owner_subject_id,
            "certificate_number": self.certificate_number, "document_type": self.document_type,
            "document_number_masked": self.document_number_masked, "certificate": self.certificate.to_dict(),
            "authority": self.authority.to_dict(), "point_code": self.point_code,
            "materials": self.materials.to_dict(), "overridden_warnings": list(self.overridden_warnings),
            "terms_accepted_at": self.terms_accepted_at.isoformat(),
        }


def submission_snapshot(draft: Draft) -> ApplicationSnapshot:
    ensure_not_submitted(draft)
    missing = draft.first_unfinished()
    if missing is not None:
        raise RuleViolation(STEP_ORDER_RULE, f"第 {int(missing)} 步“{missing.title_zh}”尚未完成，还不能提交",
                            f"Step {int(missing)} ({missing.title_en}) is not finished; you cannot submit yet")
    assert (draft.certificate_number and draft.certificate and draft.authority and draft.point_code
            and draft.materials and draft.terms_accepted_at)  # every step is complete
    return ApplicationSnapshot(
        draft_id=draft.draft_id, owner_subject_id=draft.owner_subject_id,
        certificate_number=draft.certificate_number.certificate_number,
        document_type=draft.certificate_number.document_type,
        document_number_masked=draft.certificate_number.document_number_masked,
        certificate=draft.certificate, authority=draft.authority, point_code=draft.point_code,
        materials=draft.materials, overridden_warnings=draft.overridden_warnings,
        terms_accepted_at=draft.terms_accepted_at,
    )


def record_submission(draft: Draft, application_number: str, now: datetime) -> Draft:
    """The draft after the application was stored: it shows the done page (step 8) and no more."""
    ensure_not_submitted(draft)
    return replace(draft, submission=SubmissionRecord(application_number, now), current_step=Step.DONE,
                   updated_at=now)


@dataclass(frozen=True)
class DoneSummary:
    """R-WIZ-8: what the done page shows. Never a password, never the full document number."""

    applicant_name: str
    document_number_masked: str
    certificate_number: str
    email: str
    application_number: str


def done_summary(draft: Draft, account: Account, mask: Masker = mask_document_number) -> DoneSummary:
    if draft.submission is None or draft.certificate_number is None or draft.materials is None:
        raise RuleViolation("R-WIZ-8", "申报尚未提交", "The application has not been submitted yet")
    return DoneSummary(
        applicant_name=account.name, document_number_masked=mask(account.document_number),
        certificate_number=draft.certificate_number.certificate_number, email=draft.materials.email,
        application_number=draft.submission.application_number,
    )
