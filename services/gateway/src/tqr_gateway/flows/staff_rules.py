"""What the staff console (pages and API) decides by itself, before any service is asked: the roles,
its input limits and what the search box was given.

The services decide for real (R-STAFF-4). Which actions exist, which must say why or list the missing
materials, and the materials checklist are the application service's (``WorkflowRules``, served by
it); checking them here only keeps the console from sending a decision the applicant could not
understand, in the words the console has always used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from tqr_gateway.clients.staff_documents import looks_like_form_code
from tqr_gateway.clients.workflow_rules import Material, WorkflowRules

# The roles are the contracts' enum (tqr.common.v1.Role), named once in tqr_gateway.vocabulary.
from tqr_gateway.vocabulary import AUTHORITY_ADMIN as AUTHORITY_ADMIN
from tqr_gateway.vocabulary import IDENTITY_REVIEWER as IDENTITY_REVIEWER
from tqr_gateway.vocabulary import POINT_STAFF as POINT_STAFF
from tqr_gateway.vocabulary import SYSTEM_ADMIN as SYSTEM_ADMIN
from tqr_gateway.vocabulary import Role

APPLICATION_STAFF: Final = (AUTHORITY_ADMIN, POINT_STAFF)

MAX_REASON: Final = 500
MAX_MESSAGE: Final = 1000


@dataclass(frozen=True)
class Problem:
    field: str
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


def may(roles: Iterable[Role], *allowed: Role) -> bool:
    return bool(set(roles) & set(allowed))


def missing_materials(checked: Iterable[str], other: str, checklist: Iterable[Material]) -> list[str]:
    """The names the applicant will read: checked items of the authority's checklist in Chinese,
    then each other line."""
    ticked = set(checked)
    names = [item.name_zh for item in checklist if item.code in ticked]
    names += [line.strip() for line in other.splitlines() if line.strip()]
    return names


def check_action(action: str, reason: str, materials: list[str], rules: WorkflowRules) -> list[Problem]:
    """R-APP-2: an adverse result says why, materials incomplete says which ones (as the service rules)."""
    problems: list[Problem] = []
    if action not in rules.staff_actions:
        return [Problem("action", "这里不能执行该操作", "That action is not taken here")]
    if rules.needs_materials(action) and not materials:
        problems.append(Problem("missing-materials", "请选择或填写缺少的材料，申请人会按此补交",
                                "Choose or type the missing materials; the applicant brings what you list"))
    if rules.needs_reason(action) and not reason.strip():
        problems.append(Problem("reason", "请填写原因，申请人会看到这段说明",
                                "Give a reason; the applicant will read it"))
    if len(reason.strip()) > MAX_REASON:
        problems.append(Problem("reason", f"原因不能超过 {MAX_REASON} 个字",
                                f"The reason may be at most {MAX_REASON} characters"))
    return problems


def check_decision(decision: str, reason: str) -> list[Problem]:
    """Identity reviewers: approve or reject; a rejection says why (the applicant reads it)."""
    if decision not in ("APPROVED", "REJECTED"):
        return [Problem("decision", "请选择审核结果", "Choose a decision")]
    if decision == "REJECTED" and not reason.strip():
        return [Problem("reason", "不通过时请填写原因，申请人会看到这段说明",
                        "Give a reason for a rejection; the applicant will read it")]
    if len(reason.strip()) > MAX_REASON:
        return [Problem("reason", f"原因不能超过 {MAX_REASON} 个字",
                        f"The reason may be at most {MAX_REASON} characters")]
    return []


def search_kind(query: str) -> str:
    """EMPTY, FORM_CODE (verified by the documents service first) or NUMBER (application number
    or identity document number: the application service tells them apart)."""
    typed = query.strip()
    if not typed:
        return "EMPTY"
    return "FORM_CODE" if looks_like_form_code(typed) else "NUMBER"
