"""Whose certificate number an application may carry (R-WIZ-10, with R-WIZ-9).

Certificate numbers are structured and guessable, so a number typed by an applicant proves
nothing by itself:

- **A number the registry knows** belongs to the person whose document number the registry holds.
  Only an applicant whose real-name-verified document number is that one may use it — at step 3,
  at submission (the registry may have learned the number since) and in an edit after submission
  (R-APP-3). Anyone else is refused (``held_by_another``) and told to contact the authority: a
  warning they could click past would let them take the certificate, as it did.
- **A number the registry does not know** cannot be checked online. One applicant's claim never
  blocks another's: every application goes on, and each that shares its number with a live
  application of *another* applicant is marked "same certificate number claimed by another
  applicant" for the confirmation point (``certificate_claimed_by_another`` on the staff views,
  computed by ``application_repository.claimed_by_another``), which decides with the paper
  certificate. The staff console lists such conflicts and shows the mark on the case.
- **One applicant** holds at most one live application per certificate in a plan (R-WIZ-9): the
  live key is (plan, certificate, applicant), held in the database, so a double submit or two
  spellings of the same number (R-WIZ-11) cannot make a second one.

An application stops contending for its number when it is withdrawn (its live key is released),
when the point finds it not eligible (``NOT_CONTENDING``): the point has decided against it, or when
its confirmation window ended before it was confirmed (逾期未确认, R-APP-9).
"""

from __future__ import annotations

from servicekit.errors import RuleViolation

from tqr_application.domain.status import ApplicationStatus

RULE = "R-WIZ-10"
# Statuses in which an application no longer disputes its certificate number with anybody.
NOT_CONTENDING: frozenset[ApplicationStatus] = frozenset(
    {ApplicationStatus.WITHDRAWN, ApplicationStatus.NOT_ELIGIBLE, ApplicationStatus.OVERDUE_UNCONFIRMED})


def held_by_another() -> RuleViolation:
    """The refusal for a registry-known number whose holder is not the applicant (R-WIZ-10)."""
    return RuleViolation(
        RULE,
        "该证书号码在教师资格证书记录中属于另一位持证人（按您实名核验的证件号码核对），不能用于您的申请。"
        "请核对证书号码；如果这确实是您的证书，请联系您的注册机构（教育行政部门）核实更正证书记录。",
        "This certificate number is on record for another holder (checked against the document number "
        "you verified), so it cannot be used in your application. Check the number; if the certificate is "
        "yours, contact your registration authority (education bureau) to have the record checked.",
    )


def ensure_holder(*, on_record: bool, holder_matches: bool) -> None:
    """R-WIZ-10: a number on record may be used only by its holder; one not on record by anybody."""
    if on_record and not holder_matches:
        raise held_by_another()
