"""Domain metrics of the application service (the shared ones come from servicekit.metrics).

Counted after the unit of work commits, so a rolled-back step or submission is never counted.
The dashboards and alerts that use them are in deploy/ (tqr-domain rules, the peak dashboard).
"""

from prometheus_client import Counter

WIZARD_STEPS = Counter("tqr_application_wizard_steps_total", "Wizard steps saved, by step", ["step"])
SUBMISSIONS = Counter("tqr_application_submissions_total", "New applications submitted, by authority",
                      ["authority"])
STATUS_CHANGES_KEY = "tqr.status_changes"  # session.info: statuses written by the unit of work
STATUS_CHANGES = Counter("tqr_application_status_changes_total", "Status changes of applications, by new status",
                         ["to_status"])


def _start_at_zero() -> None:
    """Every step and status from the start, so a rate over them is 0 rather than missing."""
    from tqr_application.domain.status import ApplicationStatus
    from tqr_application.domain.wizard import Step

    for step in Step:
        if step is not Step.DONE:
            WIZARD_STEPS.labels(step.name.lower())
    for status in ApplicationStatus:
        STATUS_CHANGES.labels(status.value)


_start_at_zero()
