"""The wizard as a state machine over an immutable Draft (R-WIZ-1..7).

``submit_step`` checks one step's answer on the server whatever the client sent, refuses a step
whose predecessors are unfinished, and returns the new draft. Re-answering an earlier step keeps
later answers that are still valid and drops only those the change invalidates (and says which,
so the UI can tell the applicant).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from servicekit.errors import FieldProblem, InvalidInput, RuleViolation

from tqr_application.domain import certificate_claims, plans
from tqr_application.domain.plans import SHANGHAI, PointWindow, RegistrationPlan
from tqr_application.domain.wizard import validation
from tqr_application.domain.wizard.answers import AuthorityChoice, CertificateData, CertificateNumberAnswer
from tqr_application.domain.wizard.cross_checks import certificate_warnings, materials_warnings
from tqr_application.domain.wizard.draft import Draft
from tqr_application.domain.wizard.env import MUST_READ_SECONDS, WizardEnv
from tqr_application.domain.wizard.steps import ANSWERABLE_STEPS, STEP_ORDER_RULE, Step
from tqr_application.domain.wizard.warnings import WizardWarning, not_owned_by, require_overridden


@dataclass(frozen=True)
class ClearedAnswer:
    """An answer dropped because an earlier change made it invalid; the UI tells the applicant."""

    step: Step
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class StepOutcome:
    draft: Draft
    overridden: tuple[WizardWarning, ...] = ()  # warnings the applicant chose to continue past
    cleared: tuple[ClearedAnswer, ...] = ()


def beijing_today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


# --- navigation -----------------------------------------------------------------------------------


def ensure_not_submitted(draft: Draft) -> None:
    if draft.submitted:
        raise RuleViolation("R-WIZ-9", "这份申报已经提交，不能再在向导中修改；请到“我的申请”查看或修改",
                            "This application has been submitted; view or change it under My application")


def ensure_step_reachable(draft: Draft, step: Step) -> None:
    """Refuse a step whose earlier steps are not all done, naming the first unfinished one."""
    ensure_not_submitted(draft)
    if step not in ANSWERABLE_STEPS:
        raise RuleViolation(STEP_ORDER_RULE, "“完成”页只能通过提交申报到达", "The done page is reached by submitting")
    missing = draft.first_unfinished(before=step)
    if missing is not None:
        raise RuleViolation(
            STEP_ORDER_RULE,
            f"请先完成第 {int(missing)} 步“{missing.title_zh}”，再进行第 {int(step)} 步",
            f"Finish step {int(missing)} ({missing.title_en}) before step {int(step)}",
        )


def go_to_step(draft: Draft, step: Step, now: datetime) -> Draft:
    """Move to a step already reachable, e.g. "上一步" or a "修改" link; answers are kept."""
    ensure_step_reachable(draft, step)
    return replace(draft, current_step=step, updated_at=now)


@dataclass(frozen=True)
class StepProgress:
    """One entry of the step indicator ("第 3 步，共 8 步")."""

    step: Step
    complete: bool
    reachable: bool  # every earlier step is complete: a "修改" link may point here
    current: bool


def progress(draft: Draft) -> tuple[StepProgress, ...]:
    blocked_from = draft.first_unfinished()
    return tuple(
        StepProgress(step, draft.is_complete(step),
                     not draft.submitted and step is not Step.DONE and (blocked_from is None or step <= blocked_from),
                     step is draft.current_step)
        for step in Step
    )


def must_read_seconds_left(draft: Draft, now: datetime, seconds: float = MUST_READ_SECONDS) -> float:
    """For the countdown on the page: how long until "下一步" may be used (R-WIZ-1)."""
    if draft.must_read_shown_at is None:
        return seconds
    return max(0.0, seconds - (now - draft.must_read_shown_at).total_seconds())


# --- steps ------------------------------------------------------------------------------------------

Handler = Callable[[Draft, Mapping[str, Any], WizardEnv, datetime, frozenset[str]], StepOutcome]


def submit_step(draft: Draft, step: Step, values: Mapping[str, Any], env: WizardEnv, *,
                override_warnings: Iterable[str] = ()) -> StepOutcome:
    """Check and save the answer to ``step``; the applicant moves on to the next step."""
    step = Step(step)
    draft.ensure_owner(env.account.subject_id)
    ensure_step_reachable(draft, step)
    now = env.clock.now()
    outcome = _HANDLERS[step](draft, values, env, now, frozenset(override_warnings))
    following = Step(min(int(step) + 1, int(Step.MATERIALS)))
    return replace(outcome, draft=replace(outcome.draft, current_step=following, updated_at=now))


def _must_read(draft: Draft, _v: Mapping[str, Any], env: WizardEnv, now: datetime, _o: frozenset[str]) -> StepOutcome:
    shown = draft.must_read_shown_at
    if shown is None or (now - shown).total_seconds() < env.must_read_seconds:
        raise RuleViolation(
            "R-WIZ-1",
            f"请先阅读“申报人必读”，页面显示 {env.must_read_seconds:g} 秒后才能进入下一步",
            f"Read the must-read page first; you can go on {env.must_read_seconds:g} seconds after it is shown",
        )
    return StepOutcome(replace(draft, must_read_done_at=draft.must_read_done_at or now))


def _terms(draft: Draft, values: Mapping[str, Any], _e: WizardEnv, now: datetime, _o: frozenset[str]) -> StepOutcome:
    if values.get("accept") is not True:
        raise RuleViolation("R-WIZ-2", "您需要选择“接受”服务条款，才能继续申报",
                            "Choose to accept the terms of service to continue")
    return StepOutcome(replace(draft, terms_accepted_at=draft.terms_accepted_at or now))


def _certificate_and_id(draft: Draft, values: Mapping[str, Any], env: WizardEnv, _n: datetime,
                        overrides: frozenset[str]) -> StepOutcome:
    number = validation.parse_certificate_number(values, env.account)
    record = env.registry_lookup(number, env.account.document_number)
    # R-WIZ-10: a number on record belongs to its holder; refused outright, never a warning.
    certificate_claims.ensure_holder(on_record=record is not None or env.registry_knows(number),
                                     holder_matches=record is not None)
    warning = validation.certificate_number_warning(number)
    accepted = require_overridden([warning] if warning else [], overrides)
    answer = CertificateNumberAnswer(number, env.account.document_type, env.mask(env.account.document_number),
                                     registry_matched=record is not None)
    from_registry = CertificateData.from_registry(record) if record is not None else None
    certificate, cleared = _certificate_after_number_change(draft.certificate, from_registry)
    kept = not_owned_by([Step.CERTIFICATE_AND_ID], draft.overridden_warnings)
    if certificate != draft.certificate:  # warnings about the old certificate data no longer apply
        kept = not_owned_by([Step.CERTIFICATE_DATA_AND_AUTHORITY], kept)
    new = replace(draft, certificate_number=answer, certificate=certificate,
                  overridden_warnings=kept + accepted)
    return StepOutcome(new, (warning,) if warning else (), cleared)


def _certificate_after_number_change(old: CertificateData | None, registry: CertificateData | None
                                     ) -> tuple[CertificateData | None, tuple[ClearedAnswer, ...]]:
    if registry is not None:
        if old is not None and not old.locked:
            return registry, (ClearedAnswer(Step.CERTIFICATE_DATA_AND_AUTHORITY,
                                            "系统中有这本证书的记录，证书信息已改为系统记录，不能修改",
                                            "The certificate is on record; its details now come from the "
                                            "record and cannot be changed"),)
        return registry, ()
    if old is not None and old.locked:
        return None, (ClearedAnswer(Step.CERTIFICATE_DATA_AND_AUTHORITY,
                                    "证书号码已更改，系统中没有这本证书的记录，请照证书填写证书信息",
                                    "The certificate number changed and is not on record; fill in the "
                                    "certificate details as printed"),)
    return old, ()  # self-filled details stay: a corrected typo in the number does not change them


def _certificate_data_and_authority(draft: Draft, values: Mapping[str, Any], env: WizardEnv, now: datetime,
                                    overrides: frozenset[str]) -> StepOutcome:
    rule = Step.CERTIFICATE_DATA_AND_AUTHORITY.rule
    today = beijing_today(now)
    problems: list[FieldProblem] = []
    certificate: CertificateData | None = None
    try:
        if draft.certificate is not None and draft.certificate.locked:
            certificate = validation.complete_registry_certificate(draft.certificate, values, today)
        else:
            certificate = validation.parse_certificate_data(values, env.codes, today)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    authority_code = values.get("authority_code")
    authority = env.authority_lookup(authority_code) if isinstance(authority_code, str) and authority_code else None
    if authority is None:
        problems.append(FieldProblem("authority_code", rule, "请选择注册机构（现任教学校所在地的教育行政部门）",
                                     "Choose the registration authority (where your school is)"))
    stage = _code(values, "teaching_stage_code", env.codes.teaching_stages)
    if stage is None:
        problems.append(FieldProblem("teaching_stage_code", rule, "请选择现任教学段", "Choose the stage you teach now"))
    subject = _code(values, "teaching_subject_code", env.codes.subjects)
    if subject is None:
        code = "R-REF-1" if values.get("teaching_subject_code") else rule
        problems.append(FieldProblem("teaching_subject_code", code,
                                     "请选择现任教学科；列表中没有您的学科时，请联系省级教师资格认定指导部门",
                                     "Choose the subject you teach now; if it is missing, contact the guiding centre"))
    if problems:
        raise InvalidInput(problems, code=rule)
    assert certificate is not None and authority is not None and stage and subject  # narrowed above
    plan = plans.plan_for_new_application(env.plans_lookup(authority.code), authority.code, now, authority.name)
    warnings = certificate_warnings(certificate, env.account, authority)
    accepted = require_overridden(warnings, overrides)
    choice = AuthorityChoice(authority.code, plan.plan_id, stage, subject)
    point_code = draft.point_code
    cleared: tuple[ClearedAnswer, ...] = ()
    if point_code is not None and plan.window_of(point_code) is None:
        point_code = None
        cleared = (ClearedAnswer(Step.CONFIRMATION_POINT, "您更换了注册机构，请重新选择现场确认点",
                                 "You changed the authority; choose the confirmation point again"),)
    kept = not_owned_by([Step.CERTIFICATE_DATA_AND_AUTHORITY], draft.overridden_warnings)
    new = replace(draft, certificate=certificate, authority=choice, point_code=point_code,
                  overridden_warnings=kept + accepted)
    return StepOutcome(new, tuple(warnings), cleared)


def _code(values: Mapping[str, Any], name: str, allowed: frozenset[str]) -> str | None:
    raw = values.get(name)
    clean = raw.strip() if isinstance(raw, str) else ""
    return clean if clean and (not allowed or clean in allowed) else None


def chosen_plan(draft: Draft, env: WizardEnv) -> RegistrationPlan:
    """The plan the draft's authority choice points at (R-PLAN-2 when it has gone)."""
    if draft.authority is None:
        raise RuleViolation(STEP_ORDER_RULE, "请先在第 4 步选择注册机构", "Choose the authority at step 4 first")
    for plan in env.plans_lookup(draft.authority.authority_code):
        if plan.plan_id == draft.authority.plan_id:
            return plan
    authority = env.authority_lookup(draft.authority.authority_code)
    return plans.require_plan(None, authority.name if authority else "")


def point_options(draft: Draft, env: WizardEnv) -> tuple[PointWindow, ...]:
    """Step 5's list: every point of the plan with its window (R-PLAN-3 when there is none)."""
    plan = chosen_plan(draft, env)
    authority = env.authority_lookup(plan.authority_code)
    plans.require_confirmation_points(plan, authority.name if authority else "")
    return plan.point_windows


def _confirmation_point(draft: Draft, values: Mapping[str, Any], env: WizardEnv, now: datetime,
                        _o: frozenset[str]) -> StepOutcome:
    windows = {w.point_code: w for w in point_options(draft, env)}
    chosen = values.get("point_code")
    if not isinstance(chosen, str) or chosen not in windows:
        raise InvalidInput([FieldProblem("point_code", "R-WIZ-5", "请从列表中选择一个现场确认点",
                                         "Choose one confirmation point from the list")], code="R-WIZ-5")
    plans.require_confirmation_window_not_ended(windows[chosen], now)
    return StepOutcome(replace(draft, point_code=chosen))


def _notes(draft: Draft, values: Mapping[str, Any], _e: WizardEnv, now: datetime, _o: frozenset[str]) -> StepOutcome:
    if values.get("acknowledged") is not True:
        raise RuleViolation("R-WIZ-6", "请阅读注意事项，然后点击“已阅读并下一步”",
                            "Read the notes, then choose “I have read them, next”")
    return StepOutcome(replace(draft, notes_read_at=draft.notes_read_at or now))


def _materials(draft: Draft, values: Mapping[str, Any], _e: WizardEnv, now: datetime,
               overrides: frozenset[str]) -> StepOutcome:
    today = beijing_today(now)
    materials = validation.parse_materials(values, today)
    warnings = materials_warnings(materials, today)
    accepted = require_overridden(warnings, overrides)
    kept = not_owned_by([Step.MATERIALS], draft.overridden_warnings)
    return StepOutcome(replace(draft, materials=materials, overridden_warnings=kept + accepted), tuple(warnings))


_HANDLERS: dict[Step, Handler] = {
    Step.MUST_READ: _must_read,
    Step.TERMS: _terms,
    Step.CERTIFICATE_AND_ID: _certificate_and_id,
    Step.CERTIFICATE_DATA_AND_AUTHORITY: _certificate_data_and_authority,
    Step.CONFIRMATION_POINT: _confirmation_point,
    Step.NOTES: _notes,
    Step.MATERIALS: _materials,
}
