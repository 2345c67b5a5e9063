"""The materials a confirmation point most often finds missing (R-STAFF-2).

A checklist the staff tick, plus free text for anything else: the names are what the applicant
reads in the status page and the notification, Chinese first.
"""

from __future__ import annotations

from dataclasses import dataclass


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
