"""The eight steps of the application wizard (申报) and the rule each one carries."""

from __future__ import annotations

from enum import IntEnum


class Step(IntEnum):
    MUST_READ = 1  # 申报人必读 (R-WIZ-1)
    TERMS = 2  # 服务条款 (R-WIZ-2)
    CERTIFICATE_AND_ID = 3  # 证书号码和证件号码 (R-WIZ-3)
    CERTIFICATE_DATA_AND_AUTHORITY = 4  # 证书信息和注册机构 (R-WIZ-4)
    CONFIRMATION_POINT = 5  # 现场确认点 (R-WIZ-5)
    NOTES = 6  # 注意事项 (R-WIZ-6)
    MATERIALS = 7  # 申请材料 (R-WIZ-7)
    DONE = 8  # 完成 (R-WIZ-8)

    @property
    def rule(self) -> str:
        return f"R-WIZ-{int(self)}"

    @property
    def title_zh(self) -> str:
        return _TITLES[self][0]

    @property
    def title_en(self) -> str:
        return _TITLES[self][1]


_TITLES: dict[Step, tuple[str, str]] = {
    Step.MUST_READ: ("申报人必读", "Before you apply"),
    Step.TERMS: ("服务条款", "Terms of service"),
    Step.CERTIFICATE_AND_ID: ("证书号码和证件号码", "Certificate and ID numbers"),
    Step.CERTIFICATE_DATA_AND_AUTHORITY: ("证书信息和注册机构", "Certificate details and authority"),
    Step.CONFIRMATION_POINT: ("选择现场确认点", "Confirmation point"),
    Step.NOTES: ("注意事项", "Notes"),
    Step.MATERIALS: ("填写申请材料", "Application materials"),
    Step.DONE: ("完成", "Done"),
}

# Steps an applicant answers; DONE is reached only by submitting.
ANSWERABLE_STEPS: tuple[Step, ...] = tuple(s for s in Step if s is not Step.DONE)
STEP_ORDER_RULE = "R-WIZ-STEP_ORDER"
