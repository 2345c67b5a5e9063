"""What the staff console (pages and API) decides by itself, before any service is asked: the roles,
which actions must say why, and what the search box was given.

The services decide for real (R-STAFF-4); these rules only keep the console from offering what a
role cannot do and from sending a decision the applicant could not understand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from tqr_gateway.clients.staff_documents import looks_like_form_code

# The roles are the contracts' enum (tqr.common.v1.Role), named once in tqr_gateway.vocabulary.
from tqr_gateway.vocabulary import AUTHORITY_ADMIN as AUTHORITY_ADMIN
from tqr_gateway.vocabulary import IDENTITY_REVIEWER as IDENTITY_REVIEWER
from tqr_gateway.vocabulary import POINT_STAFF as POINT_STAFF
from tqr_gateway.vocabulary import SYSTEM_ADMIN as SYSTEM_ADMIN
from tqr_gateway.vocabulary import Role

APPLICATION_STAFF: Final = (AUTHORITY_ADMIN, POINT_STAFF)

STATUSES: Final = ("SUBMITTED", "MATERIALS_INCOMPLETE", "CONFIRMED", "WRONG_AUTHORITY", "NOT_ELIGIBLE",
                   "REGISTERED", "DEFERRED", "REJECTED", "WITHDRAWN")
STAFF_ACTIONS: Final = ("CONFIRM_ON_SITE", "MARK_MATERIALS_INCOMPLETE", "MARK_WRONG_AUTHORITY",
                        "MARK_NOT_ELIGIBLE", "APPROVE_REGISTERED", "DEFER", "REJECT")
# The applicant reads the reason and must learn from it what to do (R-APP-2): an adverse outcome
# without one would leave them guessing.
REASON_REQUIRED: Final = frozenset({"MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE", "DEFER", "REJECT"})
MATERIALS_REQUIRED: Final = frozenset({"MARK_MATERIALS_INCOMPLETE"})
# The materials a point most often finds missing: a checklist, plus free text for anything else.
MATERIAL_CHECKLIST: Final = ("APPLICATION_FORM", "CERTIFICATE", "IDENTITY_DOCUMENT", "ANNUAL_ASSESSMENT",
                             "ETHICS_ASSESSMENT", "CONTINUING_EDUCATION", "HEALTH_CERTIFICATE")
MATERIAL_NAMES: Final[dict[str, tuple[str, str]]] = {
    "APPLICATION_FORM": ("签名的《教师资格定期注册申请表》", "The signed application form"),
    "CERTIFICATE": ("教师资格证书原件", "The original teacher qualification certificate"),
    "IDENTITY_DOCUMENT": ("身份证件原件", "The original identity document"),
    "ANNUAL_ASSESSMENT": ("五年内年度考核结果证明", "Proof of the annual assessments of the five years"),
    "ETHICS_ASSESSMENT": ("师德考核结果证明", "Proof of the ethics assessment"),
    "CONTINUING_EDUCATION": ("继续教育（培训）学时证明", "Proof of continuing-education hours"),
    "HEALTH_CERTIFICATE": ("体检合格证明", "Proof of a passed health check"),
}
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


def needs_reason(action: str) -> bool:
    return action in REASON_REQUIRED


def missing_materials(checked: Iterable[str], other: str) -> list[str]:
    """The names the applicant will read: checked items in Chinese, then each other line."""
    names = [MATERIAL_NAMES[key][0] for key in MATERIAL_CHECKLIST if key in set(checked)]
    names += [line.strip() for line in other.splitlines() if line.strip()]
    return names


def check_action(action: str, reason: str, materials: list[str]) -> list[Problem]:
    """R-APP-2: an adverse result says why, materials incomplete says which ones."""
    problems: list[Problem] = []
    if action not in STAFF_ACTIONS:
        return [Problem("action", "这里不能执行该操作", "That action is not taken here")]
    if action in MATERIALS_REQUIRED and not materials:
        problems.append(Problem("missing-materials", "请选择或填写缺少的材料，申请人会按此补交",
                                "Choose or type the missing materials; the applicant brings what you list"))
    if action in REASON_REQUIRED and not reason.strip():
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
