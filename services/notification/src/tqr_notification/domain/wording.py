"""Bilingual words the templates need beyond the event: labels of codes and, for each application
status (R-APP-2), what it means and what the applicant should do next.

Each entry is ``(zh, en)``. Unknown values fall back to the raw value so a new enum value never
breaks a notification. Templates reach the labels through the ``zh`` and ``en`` filters and the
table names of ``LABELS``: ``{{ decision | zh("decision") }}``.
"""

from __future__ import annotations

from dataclasses import dataclass

Label = tuple[str, str]

CODE_PURPOSES: dict[str, Label] = {
    "REGISTER": ("注册账号", "account registration"),
    "RESET_PASSWORD": ("找回密码", "password reset"),
    "CHANGE_CONTACT": ("更改联系方式", "change of contact details"),
    "LOGIN": ("登录", "sign-in"),
}

DECISIONS: dict[str, Label] = {
    "APPROVED": ("通过", "approved"),
    "REJECTED": ("未通过", "not approved"),
}

PASSWORD_CHANGE_WAYS: dict[str, Label] = {
    # Read as "您的账号已于…{zh}了密码" / "Your password was {en} on …".
    "CHANGE": ("修改", "changed"),
    "RESET": ("找回并重设", "reset"),
}

SUPPORT_REQUEST_KINDS: dict[str, Label] = {
    "CHANGE_CONTACT": ("更改手机号或邮箱", "change of mobile number or email"),
    "CORRECT_NAME": ("更正姓名", "name correction"),
    "CORRECT_GENDER": ("更正性别", "gender correction"),
}

ROLES: dict[str, Label] = {
    "APPLICANT": ("申请人", "the applicant"),
    "AUTHORITY_ADMIN": ("注册机构", "the registration authority"),
    "POINT_STAFF": ("现场确认点", "the confirmation point"),
    "IDENTITY_REVIEWER": ("身份审核员", "an identity reviewer"),
    "SYSTEM_ADMIN": ("系统管理员", "a system administrator"),
    "SYSTEM": ("系统", "the system"),
}

APPLICATION_SECTIONS: dict[str, Label] = {
    "certificate": ("证书信息", "certificate details"),
    "personal": ("个人信息", "personal details"),
    "contact": ("联系方式", "contact details"),
    "work": ("现任职信息", "current employment"),
    "authority": ("注册机构与确认点", "authority and confirmation point"),
    # The names the application service publishes in ApplicationUpdated.changed_sections.
    "CERTIFICATE": ("证书信息", "certificate details"),
    "MATERIALS": ("现任职信息", "current employment"),
    "CONTACT": ("联系方式", "contact details"),
    "POINT": ("现场确认点", "confirmation point"),  # R-APP-6
    "TEACHING": ("现任教学段和学科", "stage and subject taught now"),  # R-APP-6
}

LABELS: dict[str, dict[str, Label]] = {
    "code_purpose": CODE_PURPOSES,
    "decision": DECISIONS,
    "password_change_way": PASSWORD_CHANGE_WAYS,
    "support_request_kind": SUPPORT_REQUEST_KINDS,
    "role": ROLES,
    "application_section": APPLICATION_SECTIONS,
}


@dataclass(frozen=True)
class StatusGuidance:
    label_zh: str
    label_en: str
    meaning_zh: str
    meaning_en: str
    next_zh: str
    next_en: str


STATUS_GUIDANCE: dict[str, StatusGuidance] = {
    "SUBMITTED": StatusGuidance(
        "信息提交成功，等待现场确认",
        "Submitted, waiting for on-site confirmation",
        "您的申报信息已提交，确认点尚未进行现场确认。",
        "Your application has been received; the confirmation point has not yet checked it on site.",
        "请打印并签署申请表，在现场确认时间内携带材料到所选确认点办理确认。",
        "Print and sign the application form and take it with your materials to the confirmation "
        "point within its confirmation window.",
    ),
    "MATERIALS_INCOMPLETE": StatusGuidance(
        "经审核材料不全，请向确认机构提交补齐",
        "Materials incomplete",
        "确认点审核后认为您提交的材料不全。",
        "The confirmation point found that some of your materials are missing.",
        "请备齐所列的缺少材料，在现场确认时间内交到确认点补齐。",
        "Gather the missing materials listed and hand them in at the confirmation point within its window.",
    ),
    "CONFIRMED": StatusGuidance(
        "信息已确认，待审批",
        "Confirmed, waiting for approval",
        "确认点已完成现场确认，申请已交注册机构审批。",
        "The confirmation point has confirmed your application; the authority will now decide.",
        "无需其他操作，请等待注册机构的审批结果。",
        "Nothing more is needed from you; wait for the authority's decision.",
    ),
    "WRONG_AUTHORITY": StatusGuidance(
        "经审核您选错了注册机构。请更正",
        "Wrong registration authority",
        "审核发现您选择的注册机构不正确。",
        "The registration authority you chose is not the right one for you.",
        "请在网上申报时间内登录系统，更正注册机构和确认点。",
        "Sign in within the online window and correct the authority and confirmation point.",
    ),
    "NOT_ELIGIBLE": StatusGuidance(
        "您不属于注册对象",
        "Not eligible for registration",
        "审核认为您不属于本次定期注册的对象。",
        "You are not among the people this periodic registration is for.",
        "如有疑问，请联系所选的确认点或注册机构。",
        "If you have questions, contact the confirmation point or the authority.",
    ),
    "REGISTERED": StatusGuidance(
        "注册合格",
        "Registered",
        "注册机构审批通过，您的教师资格定期注册合格。",
        "The authority approved: your teacher qualification registration is complete.",
        "无需其他操作。",
        "Nothing more is needed from you.",
    ),
    "DEFERRED": StatusGuidance(
        "暂缓注册",
        "Registration deferred",
        "注册机构决定暂缓您的定期注册。",
        "The authority has deferred your registration.",
        "请查看原因，按注册机构的要求办理；如有疑问请联系注册机构。",
        "Read the reason and follow the authority's instructions; contact it with any questions.",
    ),
    "REJECTED": StatusGuidance(
        "注册不合格",
        "Registration not approved",
        "注册机构审批认定您的定期注册不合格。",
        "The authority decided that your registration does not pass.",
        "请查看原因；如有疑问请联系注册机构。",
        "Read the reason; contact the authority with any questions.",
    ),
    "OVERDUE_UNCONFIRMED": StatusGuidance(
        "逾期未确认",
        "Not confirmed in time",
        "确认点的现场确认时间已经结束，您的申请没有完成现场确认，本次注册不再办理。",
        "The confirmation point's confirmation window ended before your application was confirmed on "
        "site; it will not be processed in this registration.",
        "如需注册，请在以后的注册计划中重新申请。",
        "To register, apply again in a later registration plan.",
    ),
}


def label(table: dict[str, Label], value: str) -> Label:
    return table.get(value, (value, value))


def status_guidance(to_status: str, status_label: str = "") -> StatusGuidance:
    """Guidance for a status; the event's own label wins for the Chinese name when it has one."""
    known = STATUS_GUIDANCE.get(to_status)
    if known is None:
        name = status_label or to_status
        return StatusGuidance(
            name,
            to_status,
            "",
            "",
            "请登录系统查看详情。",
            "Sign in to see the details.",
        )
    if status_label and status_label != known.label_zh:
        return StatusGuidance(
            status_label, known.label_en, known.meaning_zh, known.meaning_en, known.next_zh, known.next_en
        )
    return known
