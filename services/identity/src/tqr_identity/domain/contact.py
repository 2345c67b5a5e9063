"""Contact details every account must have (R-ID-4): a mainland mobile number and an email.

The mobile receives verification codes (R-ID-6) and the email is used for recovery (R-ID-11).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from servicekit import text
from servicekit.errors import FieldProblem, InvalidInput

RULE = "R-ID-4"
MOBILE_FIELD = "mobile"
EMAIL_FIELD = "email"

_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Separators people type inside a phone number; removed before the check.
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TOP_LEVEL_DOMAIN = re.compile(r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})")
MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64


@dataclass(frozen=True)
class ContactDetails:
    mobile: str  # 11 digits, no country code
    email: str  # local part as typed, domain lower-cased


def normalise_mobile(raw: str) -> str:
    """The typed number's canonical form (R-WIZ-11: full-width digits to ASCII, spaces and dashes
    removed), brackets removed, an optional +86 / 0086 country code dropped."""
    number = _PHONE_SEPARATORS.sub("", text.normalise_number(raw))
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix) :]
    if len(number) == 13 and number.startswith("86"):
        return number[2:]
    return number


def mobile_problem(raw: str) -> FieldProblem | None:
    number = normalise_mobile(raw)
    if not number:
        return _problem(MOBILE_FIELD, "请输入手机号码", "Enter your mobile number")
    if not _MAINLAND_MOBILE.fullmatch(number):
        return _problem(
            MOBILE_FIELD,
            "请输入 11 位中国大陆手机号码，以 1 开头，第二位为 3 至 9，例如 13812345678",
            "Enter an 11-digit mainland China mobile number starting with 1 and then 3 to 9, "
            "for example 13812345678",
        )
    return None


def normalise_email(raw: str) -> str:
    """Trimmed, domain lower-cased (domains are case-insensitive; local parts, strictly, are not)."""
    email = unicodedata.normalize("NFKC", raw).strip()
    local, at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}" if at else email


def email_problem(raw: str) -> FieldProblem | None:
    email = normalise_email(raw)
    if not email:
        return _problem(EMAIL_FIELD, "请输入电子邮箱地址", "Enter your email address")
    if not _is_sane_email(email):
        return _problem(
            EMAIL_FIELD,
            "请输入正确的电子邮箱地址，例如 name@example.com（用于找回密码）",
            "Enter a valid email address, for example name@example.com (used to recover your password)",
        )
    return None


def validate_mobile(raw: str) -> str:
    """The normalised 11-digit number, or InvalidInput on field "mobile"."""
    problem = mobile_problem(raw)
    if problem:
        raise InvalidInput([problem], code=RULE)
    return normalise_mobile(raw)


def validate_email(raw: str) -> str:
    """The normalised email, or InvalidInput on field "email"."""
    problem = email_problem(raw)
    if problem:
        raise InvalidInput([problem], code=RULE)
    return normalise_email(raw)


def validate_contact_details(mobile: str, email: str) -> ContactDetails:
    """Both details normalised, or one InvalidInput listing every problem."""
    problems = [p for p in (mobile_problem(mobile), email_problem(email)) if p is not None]
    if problems:
        raise InvalidInput(problems, code=RULE)
    return ContactDetails(mobile=normalise_mobile(mobile), email=normalise_email(email))


def _is_sane_email(email: str) -> bool:
    """A pragmatic check (not full RFC 5322): one @, a dotted-atom local part, a DNS domain with a
    top-level label. Quoted local parts and IP-literal domains are refused: nobody registers with
    them and they are a common vector for header injection."""
    if len(email) > MAX_EMAIL_LENGTH or not email.isascii():
        return False
    local, at, domain = email.rpartition("@")
    if not at or not local or len(local) > MAX_LOCAL_PART_LENGTH or not _EMAIL_LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return False
    return bool(_TOP_LEVEL_DOMAIN.fullmatch(labels[-1]))


def _problem(field: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field=field, code=RULE, message_zh=zh, message_en=en)
