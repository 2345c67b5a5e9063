"""Warnings the applicant may override, and the refusal raised while one is not yet overridden.

A warning says "this looks wrong; check it". The applicant either corrects the answer or sends it
again with the warning's id in ``override_warnings`` (the UI's "仍然继续"). Errors are never
overridable. Each warning id belongs to the step that raises it, so re-answering that step (or an
earlier change that replaces the data it was about) asks again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from servicekit.errors import RuleViolation

from tqr_application.domain.wizard.steps import Step

UNUSUAL_CERTIFICATE_NUMBER = "R-WIZ-3"
BIRTH_DATE_MISMATCH = "R-WIZ-4-BIRTH_DATE"
HOLDER_NAME_MISMATCH = "R-WIZ-4-HOLDER_NAME"
PROVINCE_MISMATCH = "R-WIZ-4-PROVINCE"
HISTORY_NOT_COVERING_CYCLE = "R-WIZ-7-HISTORY_COVERAGE"

WARNING_STEPS: dict[str, Step] = {
    UNUSUAL_CERTIFICATE_NUMBER: Step.CERTIFICATE_AND_ID,
    BIRTH_DATE_MISMATCH: Step.CERTIFICATE_DATA_AND_AUTHORITY,
    HOLDER_NAME_MISMATCH: Step.CERTIFICATE_DATA_AND_AUTHORITY,
    PROVINCE_MISMATCH: Step.CERTIFICATE_DATA_AND_AUTHORITY,
    HISTORY_NOT_COVERING_CYCLE: Step.MATERIALS,
}


@dataclass(frozen=True)
class WizardWarning:
    warning_id: str
    step: Step
    field: str  # the dotted path of the field the warning is about
    message_zh: str
    message_en: str


class WarningsNeedConfirmation(RuleViolation):
    """The step was not saved: the listed warnings must be corrected or overridden first."""

    def __init__(self, warnings: Iterable[WizardWarning]) -> None:
        self.warnings = tuple(warnings)
        if not self.warnings:
            raise ValueError("WarningsNeedConfirmation needs at least one warning")
        first = self.warnings[0]
        super().__init__(
            first.warning_id,
            "；".join(w.message_zh for w in self.warnings),
            "; ".join(w.message_en for w in self.warnings),
        )


def owned_by(step: Step, warning_ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(w for w in warning_ids if WARNING_STEPS.get(w) is step)


def not_owned_by(steps: Iterable[Step], warning_ids: Iterable[str]) -> tuple[str, ...]:
    excluded = set(steps)
    return tuple(w for w in warning_ids if WARNING_STEPS.get(w) not in excluded)


def require_overridden(warnings: Iterable[WizardWarning], overrides: Iterable[str]) -> tuple[str, ...]:
    """Raise for warnings not overridden; return the ids that were (to record in the draft)."""
    accepted = set(overrides)
    found = tuple(warnings)
    pending = [w for w in found if w.warning_id not in accepted]
    if pending:
        raise WarningsNeedConfirmation(pending)
    return tuple(dict.fromkeys(w.warning_id for w in found))
