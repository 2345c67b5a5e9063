"""What every wizard page shares: the draft (started on first visit), step names, refusals shown
beside the fields, and the conversion of the service's field paths to the ids of this page's inputs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import grpc
from fastapi import Request
from servicekit import errors
from servicekit.rpc.errors import from_rpc_error
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

TOTAL_STEPS = 8
CERTIFICATE_STEP = 4  # its page shows the registry photo
MATERIALS_STEP = 7
DATE_FIELDS = frozenset({"issue_date", "birth_date", "employment_start"})
_HISTORY = re.compile(r"work_history\[(\d+)\]\.(\w+)")
_ASSESSMENT = re.compile(r"annual_assessments\[(\d+)\]\.(\w+)")
# Refusals of a step that name a field although the service sends them as a rule: shown beside it.
RULE_FIELDS = {"R-PLAN-2": "authority_code", "R-PLAN-3": "point_code", "R-WIZ-2": "accept",
               "R-WIZ-5": "point_code", "R-REF-1": "subject_code", "R-WIZ-10": "certificate_number",
               "R-SLOT-1": "slot_id", "R-SLOT-2": "slot_id"}


def step_names(request: Request) -> list[str]:
    from tqr_gateway.web.catalogue import translate

    lang = language_of(request)
    return [translate(lang, f"wizard.step.{n}") for n in range(1, TOTAL_STEPS + 1)]


def materials_saved(draft: wiz.Draft) -> bool:
    return draft.HasField("materials") and bool(draft.materials.email)


def reachable(draft: wiz.Draft, step: int) -> bool:
    return not draft.submitted and 1 <= step <= max(draft.furthest_step, 1)


def resume_path(draft: wiz.Draft) -> str:
    """Where /apply sends the person: the done page, the check page, or the current step."""
    if draft.submitted:
        return "/apply/done"
    if draft.current_step >= MATERIALS_STEP and materials_saved(draft):
        return "/apply/check"
    step = min(max(draft.current_step, 1), max(draft.furthest_step, 1))
    return f"/apply/step/{step}"


def form_key(service_field: str, years: list[int] | None = None) -> str:
    """The service's field path (``work_history[0].start``) → the key of this page's input."""
    found = _HISTORY.fullmatch(service_field)
    if found:
        return f"work_history-{found.group(1)}-{found.group(2)}"
    found = _ASSESSMENT.fullmatch(service_field)
    if found and years:
        index = int(found.group(1))
        return f"assessment-{years[index]}" if index < len(years) else f"assessment-{years[0]}"
    if service_field == "annual_assessments" and years:
        return f"assessment-{years[0]}"
    if service_field.startswith("materials."):
        return form_key(service_field.removeprefix("materials."), years)
    return service_field


def is_date_key(key: str) -> bool:
    return key in DATE_FIELDS or (key.startswith("work_history-") and key.endswith(("-start", "-end")))


def anchor(key: str) -> str:
    """The id the error summary links to: a date's first box, else the input itself."""
    return f"{key}-year" if is_date_key(key) else key


@dataclass
class PageErrors:
    """The error summary (in order) and the same messages beside each field."""

    summary: list[dict[str, str]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    warning: errors.RuleViolation | None = None

    def add(self, key: str, message: str) -> None:
        if key in self.fields:
            return
        self.fields[key] = message
        self.summary.append({"field": anchor(key), "message": message})

    def add_general(self, message: str) -> None:
        self.summary.append({"field": "main", "message": message})

    def __bool__(self) -> bool:
        return bool(self.summary)


def is_warning(code: str, step: int) -> bool:
    """A warning the applicant may continue past (R-WIZ-3, R-WIZ-4-…, R-WIZ-7-…), not an error."""
    return code == "R-WIZ-3" if step == 3 else code.startswith(f"R-WIZ-{step}-")


# Number boxes the form sends as -1 when it cannot read a whole number from them (forms.py): the
# service then says the number is out of range, which is wrong for a box left empty.
# Field → (catalogue key when empty, when not digits).
NUMBER_FIELDS = {
    "continuing_education_hours": ("wizard.error.continuing_education_hours.missing",
                                   "wizard.error.continuing_education_hours.not_a_number"),
}


def page_errors(request: Request, exc: grpc.aio.AioRpcError, step: int = 0,
                years: list[int] | None = None, typed: Mapping[str, Any] | None = None) -> PageErrors:
    """Turn a refusal into errors beside fields; re-raises what a form cannot show (faults, 401…).

    ``typed``: what the person typed, so that a number box left empty or holding no number is told
    "fill it in" / "use digits" rather than the range the service checks.
    """
    refusal = from_rpc_error(exc)
    lang = language_of(request)
    result = PageErrors()
    if isinstance(refusal, errors.InvalidInput) and refusal.problems:
        for problem in refusal.problems:
            key = form_key(problem.field, years)
            result.add(key, _unreadable_number(key, typed, lang)
                       or (problem.message_en if lang == "en" else problem.message_zh))
        return result
    if isinstance(refusal, errors.RuleViolation | errors.InvalidInput | errors.Conflict):
        if step and isinstance(refusal, errors.RuleViolation) and is_warning(refusal.code, step):
            result.warning = refusal
            return result
        message = refusal.message_en if lang == "en" else refusal.message_zh
        if refusal.code in RULE_FIELDS:
            result.add(RULE_FIELDS[refusal.code], message)
        else:
            result.add_general(message)
        return result
    raise exc


def _unreadable_number(key: str, typed: Mapping[str, Any] | None, lang: str) -> str:
    if typed is None or key not in NUMBER_FIELDS:
        return ""
    raw = str(typed.get(key) or "").strip()
    if raw.isdigit():
        return ""
    missing, not_a_number = NUMBER_FIELDS[key]
    return translate(lang, not_a_number if raw else missing)


def message_of(request: Request, item: Any) -> str:
    """``message_zh`` / ``message_en`` of a proto message or refusal, in the page's language."""
    return str(item.message_en if language_of(request) == "en" and item.message_en else item.message_zh)
