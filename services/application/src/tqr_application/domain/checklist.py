"""The materials a confirmation point most often finds missing (R-STAFF-2).

A checklist the staff tick, plus free text for anything else: the names are what the applicant
reads in the status page and the notification, Chinese first. Each authority may keep its own
checklist instead (issue 19 item 19; ``checked_items`` says what one may hold).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    name_zh: str
    name_en: str


MATERIALS_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("APPLICATION_FORM", "签名的《教师资格定期注册申请表》", "The signed application form"),
    ChecklistItem("CERTIFICATE", "教师资格证书原件", "The original teacher qualification certificate"),
    ChecklistItem("IDENTITY_DOCUMENT", "身份证件原件", "The original identity document"),
    ChecklistItem("ANNUAL_ASSESSMENT", "五年内年度考核结果证明", "Proof of the annual assessments of the five years"),
    ChecklistItem("ETHICS_ASSESSMENT", "师德考核结果证明", "Proof of the ethics assessment"),
    ChecklistItem("CONTINUING_EDUCATION", "继续教育（培训）学时证明", "Proof of continuing-education hours"),
    ChecklistItem("HEALTH_CERTIFICATE", "体检合格证明", "Proof of a passed health check"),
)


MAX_ITEMS = 30
MAX_NAME_ZH = 100  # a ticked name becomes one entry of the missing materials (MAX_MATERIAL_LENGTH)
MAX_NAME_EN = 200
_CODE = re.compile(r"^[A-Z0-9_]{1,40}$")


def checked_items(items: Sequence[ChecklistItem]) -> tuple[ChecklistItem, ...]:
    """An authority's own checklist as given (issue 19 item 19): names trimmed, an item without a
    code gets one from its place; every problem is listed, field ``items[i]``."""
    problems: list[FieldProblem] = []
    if len(items) > MAX_ITEMS:
        problems.append(FieldProblem("items", "R-APP-2", f"清单最多 {MAX_ITEMS} 项", f"At most {MAX_ITEMS} items"))
    out: list[ChecklistItem] = []
    seen_names: set[str] = set()
    seen_codes: set[str] = set()
    given = {item.code.strip().upper() for item in items}
    for i, item in enumerate(items):
        zh, en = item.name_zh.strip(), item.name_en.strip()
        code = item.code.strip().upper() or _free_code(i + 1, given)
        given.add(code)
        field = f"items[{i}]"
        if not zh or len(zh) > MAX_NAME_ZH:
            problems.append(FieldProblem(field, "R-APP-2", f"第 {i + 1} 项：中文名称应为 1 至 {MAX_NAME_ZH} 个字",
                                         f"Item {i + 1}: the Chinese name has 1 to {MAX_NAME_ZH} characters"))
        elif zh in seen_names:
            problems.append(FieldProblem(field, "R-APP-2", f"第 {i + 1} 项与前面的某一项重复",
                                         f"Item {i + 1} repeats an earlier one"))
        if len(en) > MAX_NAME_EN:
            problems.append(FieldProblem(field, "R-APP-2", f"第 {i + 1} 项：英文名称不能超过 {MAX_NAME_EN} 个字符",
                                         f"Item {i + 1}: the English name has at most {MAX_NAME_EN} characters"))
        if not _CODE.match(code) or code in seen_codes:
            problems.append(FieldProblem(field, "R-APP-2", f"第 {i + 1} 项的代码无效或重复",
                                         f"Item {i + 1}: the code is not valid or repeats another"))
        seen_names.add(zh)
        seen_codes.add(code)
        out.append(ChecklistItem(code, zh, en or zh))
    if problems:
        raise InvalidInput(problems, code="R-APP-2")
    return tuple(out)


def _free_code(n: int, taken: set[str]) -> str:
    while f"ITEM_{n}" in taken:
        n += 1
    return f"ITEM_{n}"
