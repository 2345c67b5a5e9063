"""The application wizard (R-WIZ-1..8) as pure domain code: steps, draft, checks, submission.

Import from here; the submodules are the implementation.
"""

from tqr_application.domain.wizard.answers import (
    ANNUAL_RESULTS,
    ETHICS_RESULTS,
    AnnualAssessment,
    AuthorityChoice,
    CertificateData,
    CertificateNumberAnswer,
    Materials,
    WorkPeriod,
    assessment_years,
    cycle_start,
)
from tqr_application.domain.wizard.cross_checks import birth_date_in_document, same_name
from tqr_application.domain.wizard.draft import Draft, SubmissionRecord, new_draft
from tqr_application.domain.wizard.env import (
    Account,
    ReferenceCodes,
    WizardEnv,
    normalise_document_number,
)
from tqr_application.domain.wizard.machine import (
    ClearedAnswer,
    StepOutcome,
    StepProgress,
    chosen_plan,
    ensure_step_reachable,
    go_to_step,
    must_read_seconds_left,
    point_options,
    progress,
    submit_step,
)
from tqr_application.domain.wizard.steps import ANSWERABLE_STEPS, STEP_ORDER_RULE, Step
from tqr_application.domain.wizard.submission import (
    ApplicationSnapshot,
    DoneSummary,
    NotReadyToSubmit,
    SubmissionProblem,
    done_summary,
    ensure_ready_to_submit,
    ready_to_submit,
    record_submission,
    submission_snapshot,
)
from tqr_application.domain.wizard.warnings import (
    BIRTH_DATE_MISMATCH,
    HISTORY_NOT_COVERING_CYCLE,
    HOLDER_NAME_MISMATCH,
    PROVINCE_MISMATCH,
    UNUSUAL_CERTIFICATE_NUMBER,
    WarningsNeedConfirmation,
    WizardWarning,
)

__all__ = [
    "ANNUAL_RESULTS",
    "ANSWERABLE_STEPS",
    "BIRTH_DATE_MISMATCH",
    "ETHICS_RESULTS",
    "HISTORY_NOT_COVERING_CYCLE",
    "HOLDER_NAME_MISMATCH",
    "PROVINCE_MISMATCH",
    "STEP_ORDER_RULE",
    "UNUSUAL_CERTIFICATE_NUMBER",
    "Account",
    "AnnualAssessment",
    "ApplicationSnapshot",
    "AuthorityChoice",
    "CertificateData",
    "CertificateNumberAnswer",
    "ClearedAnswer",
    "DoneSummary",
    "Draft",
    "Materials",
    "NotReadyToSubmit",
    "ReferenceCodes",
    "Step",
    "StepOutcome",
    "StepProgress",
    "SubmissionProblem",
    "SubmissionRecord",
    "WarningsNeedConfirmation",
    "WizardEnv",
    "WizardWarning",
    "WorkPeriod",
    "assessment_years",
    "birth_date_in_document",
    "chosen_plan",
    "cycle_start",
    "done_summary",
    "ensure_ready_to_submit",
    "ensure_step_reachable",
    "go_to_step",
    "must_read_seconds_left",
    "new_draft",
    "normalise_document_number",
    "point_options",
    "progress",
    "ready_to_submit",
    "record_submission",
    "same_name",
    "submission_snapshot",
    "submit_step",
]
