"""One certificate live in two plans (R-STAFF-8).

A teacher registers once per cycle, with one authority. An application for the same certificate
number in another plan — the applicant's own second try at another authority, or somebody else's
claim — is something both authorities must know about before either decides, so each case carries
the mark "certificate also in another plan" and names the other authority (not the other
application's number, applicant or data: that belongs to the other authority).

- **Live** here means not final: withdrawn, not eligible, registered, deferred and rejected
  applications no longer compete (``STATUS_INFO[...].final``). A status added later that is final
  (R-APP-9's 逾期未确认) is left out by the same test.
- Numbers are compared in their canonical form (R-WIZ-11): applications store them so.
- The marks are stored (``cross_plan_duplicates``, a row per direction) and recomputed for an
  application in the transaction that submits it or changes its number, plan or status, so the
  staff lists can show and filter them without a join over every live application.
"""

from __future__ import annotations

from tqr_application.domain.status import STATUS_INFO, ApplicationStatus

RULE = "R-STAFF-8"
LIVE: frozenset[ApplicationStatus] = frozenset(s for s, info in STATUS_INFO.items() if not info.final)


def is_live(status: ApplicationStatus) -> bool:
    return status in LIVE
