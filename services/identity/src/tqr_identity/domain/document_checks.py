"""The per-type number checks behind ``documents.validate_document_number`` (R-ID-1).

Each check takes the normalised number and today's date and returns what is wrong (a bilingual
text naming the problem, never the number itself), or None when the number is acceptable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from .errors import BilingualText
from .gb11643 import has_valid_check_character, parse_embedded_birth_date

Check = Callable[[str, date], BilingualText | None]

EARLIEST_BIRTH_DATE = date(1900, 1, 1)

HONG_KONG_PREFIX = "810000"
MACAO_PREFIX = "820000"
TAIWAN_PREFIX = "830000"
RESIDENCE_PERMIT_PREFIXES = (HONG_KONG_PREFIX, MACAO_PREFIX, TAIWAN_PREFIX)

# First two digits (province-level GB/T 2260 code) of every mainland ID card number.
MAINLAND_PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65".split()
)

_EIGHTEEN_CHARS = re.compile(r"[0-9]{17}[0-9X]")
_HKMO_PERMIT = re.compile(r"[HM][0-9]{8}(?:[0-9]{2})?")
_TW_PERMIT = re.compile(r"[0-9]{8}")


_EMPTY = BilingualText("请输入证件号码", "Enter the document number")


def _check_gb11643(number: str, today: date) -> BilingualText | None:
    """Shape, birth date and check character, shared by the three 18-character types."""
    if not number:
        return _EMPTY
    if len(number) != 18:
        return BilingualText(
            f"您输入的号码有 {len(number)} 位，应为 18 位", f"The number has {len(number)} characters, not 18"
        )
    if not _EIGHTEEN_CHARS.fullmatch(number):
        return BilingualText(
            "号码中含有不允许的字符：前 17 位只能是数字，最后一位只能是数字或 X",
            "The number contains characters that are not allowed: the first 17 must be digits, the last "
            "a digit or X",
        )
    birth = parse_embedded_birth_date(number)
    if birth is None:
        return BilingualText(
            "号码第 7 至 14 位应为出生日期（年月日），但不是一个真实的日期",
            "Characters 7 to 14 should be the date of birth (year, month, day) but are not a real date",
        )
    if birth > today:
        return BilingualText(
            "号码第 7 至 14 位的出生日期晚于今天", "The date of birth in characters 7 to 14 is in the future"
        )
    if birth < EARLIEST_BIRTH_DATE:
        return BilingualText(
            "号码第 7 至 14 位的出生日期早于 1900 年",
            "The date of birth in characters 7 to 14 is before 1900",
        )
    if not has_valid_check_character(number):
        return BilingualText(
            "最后一位校验码与前 17 位不符，可能有数字输错，请逐位核对",
            "The last character (check character) does not match the first 17; a digit may be mistyped, "
            "please check each one",
        )
    return None


def check_id_card(number: str, today: date) -> BilingualText | None:
    if number.startswith(RESIDENCE_PERMIT_PREFIXES):
        return BilingualText(
            "以 810000、820000 或 830000 开头的是港澳台居民居住证号码，请在证件类型中选择相应的居住证",
            "Numbers starting with 810000, 820000 or 830000 belong to residence permits for Hong Kong, "
            "Macao and Taiwan residents; choose that document type instead",
        )
    problem = _check_gb11643(number, today)
    if problem is None and number[:2] not in MAINLAND_PROVINCE_CODES:
        return BilingualText(
            "号码前 6 位应为地区代码，开头两位不是有效的省级代码",
            "The first 6 characters should be a region code; the first two are not a valid province code",
        )
    return problem


def _residence_permit_check(prefixes: tuple[str, ...], wrong_prefix: BilingualText) -> Check:
    def validate(number: str, today: date) -> BilingualText | None:
        if number and len(number) == 18 and not number.startswith(prefixes):
            return wrong_prefix
        return _check_gb11643(number, today)

    return validate


def check_hkmo_permit(number: str, today: date) -> BilingualText | None:
    if not number:
        return _EMPTY
    if number[0] not in "HM":
        return BilingualText("号码应以字母 H 或 M 开头", "The number should start with the letter H or M")
    if _HKMO_PERMIT.fullmatch(number):
        return None
    return BilingualText(
        "字母 H 或 M 之后应为 8 位或 10 位数字", "The letter H or M should be followed by 8 or 10 digits"
    )


def check_tw_permit(number: str, today: date) -> BilingualText | None:
    if not number:
        return _EMPTY
    if _TW_PERMIT.fullmatch(number):
        return None
    if len(number) == 10 and number.isascii() and number.isdigit():
        return BilingualText(
            "请只填写前 8 位终身号码，不要填写末尾的 2 位签发次数",
            "Enter only the 8-digit lifelong number, without the 2-digit issue count at the end",
        )
    return BilingualText("号码应为 8 位数字", "The number should be 8 digits")


check_hkmo_residence = _residence_permit_check(
    (HONG_KONG_PREFIX, MACAO_PREFIX),
    BilingualText(
        "港澳居民居住证号码应以 810000（香港）或 820000（澳门）开头",
        "A Hong Kong/Macao residence permit number starts with 810000 or 820000",
    ),
)
check_tw_residence = _residence_permit_check(
    (TAIWAN_PREFIX,),
    BilingualText(
        "台湾居民居住证号码应以 830000 开头",
        "A Taiwan residence permit number starts with 830000",
    ),
)
