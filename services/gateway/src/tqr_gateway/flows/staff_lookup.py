"""The one search box of the console (R-STAFF-2): an application number, an identity document
number, or the form code a scanner types (``TQR1.…`` then Enter). A number is sent in its canonical
form (R-WIZ-11: full-width digits, spaces, hyphens, case), a form code as scanned (its MAC is exact).

A form code is verified by the documents service before anything else: an altered or forged code
is refused outright, never searched for. A genuine code is then looked up by its application
number, so the application service applies the caller's scope and audits the search as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from servicekit import text
from tqr.application.v1 import views_pb2 as views

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_documents import StaffDocumentsClient
from tqr_gateway.flows.staff_rules import Problem, search_kind

EMPTY_QUERY = Problem("query", "请输入报名号、证件号码，或扫描申请表上的二维码",
                      "Type an application or document number, or scan the code on the form")
ALTERED_CODE = Problem("query", "二维码校验未通过：申请表可能被改动或不是本系统打印的。请申请人重新下载打印申请表。",
                       "The form code did not verify: the form may have been altered or was not printed by "
                       "this system. Ask the applicant to download and print the form again.")
NOTHING_FOUND = Problem("query", "在您负责的范围内没有找到这份申请。请核对号码，或确认申请人选择的是本确认点或本机构。",
                        "No application within your organisation matches. Check the number, or whether the "
                        "applicant chose your point or authority.")


@dataclass
class LookupResult:
    kind: str  # EMPTY, FORM_CODE, NUMBER
    applications: list[views.ApplicationSummary] = field(default_factory=list)
    problem: Problem | None = None
    stale_printout: bool = False  # genuine code, but the applicant edited after printing

    @property
    def single(self) -> views.ApplicationSummary | None:
        return self.applications[0] if len(self.applications) == 1 and self.problem is None else None


async def look_up(query: str, *, applications: StaffApplicationClient, documents: StaffDocumentsClient,
                  metadata: tuple[tuple[str, bytes], ...]) -> LookupResult:
    kind = search_kind(query)
    if kind == "EMPTY":
        return LookupResult(kind, problem=EMPTY_QUERY)
    typed = query.strip()
    stale = False
    if kind == "FORM_CODE":
        check = await documents.verify_form_code(typed, metadata=metadata)
        if not check.genuine or not check.application_number:
            return LookupResult(kind, problem=ALTERED_CODE)
        typed, stale = check.application_number, not check.current
    else:
        typed = text.normalise_number(typed)
    found = await applications.find(typed, metadata=metadata)
    if not found:
        return LookupResult(kind, problem=NOTHING_FOUND)
    return LookupResult(kind, found, stale_printout=stale)
