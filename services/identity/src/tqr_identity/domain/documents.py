"""Identity documents an account may be opened with, and their number checks (R-ID-1).

Each document type has its own format. The 18-character ones (mainland ID card and the two
residence permits) follow GB 11643: a real birth date at positions 7-14 and a MOD 11-2 check
character. Permit numbers (通行证) carry no check character, so only their shape is checked.

Choices worth knowing:
- Input is normalised as every typed number is (R-WIZ-11, ``servicekit.text.normalise_number``):
  NFKC (full-width digits and letters typed with a Chinese input method become ASCII), whitespace
  and dashes removed, letters upper-cased, so "11010519491231002x" and "１１０１…Ｘ" both become
  the canonical form that accounts are keyed by (R-ID-2), here and in every other service.
- Taiwan permit (台湾居民来往大陆通行证): only the 8-digit lifelong number (台胞终身号) is accepted.
  Since 2008-09-25 the permit number is those 8 digits; the older 10-digit form was the same 8
  digits plus a 2-digit issue count that changes with every new permit, and all permits of that
  era have expired. Accepting both would let one person hold two accounts, so 10 digits is
  refused with a message saying to leave out the issue count.
- HK/Macao permit (港澳居民来往内地通行证): H or M plus 8 digits, or plus 10 digits (the same 8
  digits followed by the 2-digit issue count, as printed on some cards).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

from servicekit import text
from servicekit.errors import FieldProblem, InvalidInput

from .document_checks import (
    Check,
    check_hkmo_permit,
    check_hkmo_residence,
    check_id_card,
    check_tw_permit,
    check_tw_residence,
)
from .errors import BilingualText
from .gb11643 import (
    GENDER_DIGIT_INDEX,
    compute_check_character,
    make_valid_id_number,
    parse_embedded_birth_date,
)

__all__ = [
    "DocumentType",
    "Gender",
    "birth_date_of",
    "compute_check_character",
    "gender_of",
    "make_valid_id_number",
    "normalise_document_number",
    "parse_document_type",
    "validate_document_number",
]

RULE = "R-ID-1"
FIELD = "document_number"
CHINA_TZ = timezone(timedelta(hours=8))


class DocumentType(StrEnum):
    ID_CARD = "ID_CARD"
    HKMO_RESIDENCE = "HKMO_RESIDENCE"
    TW_RESIDENCE = "TW_RESIDENCE"
    HKMO_PERMIT = "HKMO_PERMIT"
    TW_PERMIT = "TW_PERMIT"

    @property
    def label_zh(self) -> str:
        return _LABELS[self].zh

    @property
    def label_en(self) -> str:
        return _LABELS[self].en

    @property
    def format_hint_zh(self) -> str:
        return _FORMATS[self].zh

    @property
    def format_hint_en(self) -> str:
        return _FORMATS[self].en

    @property
    def has_check_character(self) -> bool:
        """True for the 18-character GB 11643 numbers (embedded birth date, gender, check character)."""
        return self in (DocumentType.ID_CARD, DocumentType.HKMO_RESIDENCE, DocumentType.TW_RESIDENCE)

    @property
    def is_for_hkmo_or_taiwan_residents(self) -> bool:
        """Holders verify the same way but fall back to manual review (R-ID-9) and, without an
        embedded birth date, supply gender and birth date in their profile (R-ID-10)."""
        return self is not DocumentType.ID_CARD


class Gender(StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"

    @property
    def label_zh(self) -> str:
        return "男" if self is Gender.MALE else "女"

    @property
    def label_en(self) -> str:
        return "Male" if self is Gender.MALE else "Female"


_LABELS: dict[DocumentType, BilingualText] = {
    DocumentType.ID_CARD: BilingualText("居民身份证", "Resident Identity Card"),
    DocumentType.HKMO_RESIDENCE: BilingualText(
        "港澳居民居住证", "Residence Permit for Hong Kong and Macao Residents"
    ),
    DocumentType.TW_RESIDENCE: BilingualText("台湾居民居住证", "Residence Permit for Taiwan Residents"),
    DocumentType.HKMO_PERMIT: BilingualText(
        "港澳居民来往内地通行证", "Mainland Travel Permit for Hong Kong and Macao Residents"
    ),
    DocumentType.TW_PERMIT: BilingualText(
        "台湾居民来往大陆通行证", "Mainland Travel Permit for Taiwan Residents"
    ),
}

_FORMATS: dict[DocumentType, BilingualText] = {
    DocumentType.ID_CARD: BilingualText(
        "居民身份证号码为 18 位：前 17 位是数字，最后一位是数字或字母 X",
        "A Resident Identity Card number has 18 characters: 17 digits followed by a digit or the letter X",
    ),
    DocumentType.HKMO_RESIDENCE: BilingualText(
        "港澳居民居住证号码为 18 位，以 810000（香港）或 820000（澳门）开头，最后一位是数字或字母 X",
        "A Hong Kong/Macao residence permit number has 18 characters, starts with 810000 (Hong Kong) "
        "or 820000 (Macao) and ends with a digit or the letter X",
    ),
    DocumentType.TW_RESIDENCE: BilingualText(
        "台湾居民居住证号码为 18 位，以 830000 开头，最后一位是数字或字母 X",
        "A Taiwan residence permit number has 18 characters, starts with 830000 and ends with a digit "
        "or the letter X",
    ),
    DocumentType.HKMO_PERMIT: BilingualText(
        "港澳居民来往内地通行证号码为字母 H（香港）或 M（澳门）加 8 位数字，部分证件为加 10 位数字",
        "A Hong Kong/Macao travel permit number is the letter H (Hong Kong) or M (Macao) followed by "
        "8 digits, or by 10 digits on some permits",
    ),
    DocumentType.TW_PERMIT: BilingualText(
        "台湾居民来往大陆通行证号码为 8 位数字（不含签发次数）",
        "A Taiwan travel permit number has 8 digits (without the issue count)",
    ),
}


def normalise_document_number(raw: str) -> str:
    """Canonical form (R-WIZ-11): full width to ASCII, no whitespace or dashes, upper case."""
    return text.normalise_number(raw)


def parse_document_type(raw: str) -> DocumentType:
    """The document type for a code sent by a client, or InvalidInput on field "document_type"."""
    try:
        return DocumentType(raw.strip().upper())
    except ValueError:
        choices = "、".join(t.label_zh for t in DocumentType)
        raise InvalidInput(
            [
                FieldProblem(
                    field="document_type",
                    code=RULE,
                    message_zh=f"请选择证件类型：{choices}",
                    message_en="Choose a document type: " + ", ".join(t.label_en for t in DocumentType),
                )
            ],
            code=RULE,
        ) from None


def china_today() -> date:
    """Today's date in China (UTC+8); birth dates are calendar dates there."""
    return datetime.now(UTC).astimezone(CHINA_TZ).date()


def validate_document_number(doc_type: DocumentType, raw: str, *, today: date | None = None) -> str:
    """The normalised number, or InvalidInput (code R-ID-1) with one FieldProblem on "document_number".

    ``today`` bounds the embedded birth date; it defaults to today's date in China. Callers that
    hold a Clock pass ``working_days.china_date(clock.now())``.
    """
    number = normalise_document_number(raw)
    problem = _VALIDATORS[doc_type](number, today or china_today())
    if problem is None:
        return number
    expected = _FORMATS[doc_type]
    raise InvalidInput(
        [
            FieldProblem(
                field=FIELD,
                code=RULE,
                message_zh=f"{problem.zh}。{expected.zh}。",
                message_en=f"{problem.en}. {expected.en}.",
            )
        ],
        code=RULE,
    )


def birth_date_of(doc_type: DocumentType, number: str) -> date | None:
    """The birth date embedded in an 18-character number; None for permits (which carry none)."""
    if not doc_type.has_check_character:
        return None
    return parse_embedded_birth_date(normalise_document_number(number))


def gender_of(doc_type: DocumentType, number: str) -> Gender | None:
    """Gender from the 17th digit (odd = male) of an 18-character number; None for permits."""
    if not doc_type.has_check_character:
        return None
    canonical = normalise_document_number(number)
    if len(canonical) != 18 or not canonical[GENDER_DIGIT_INDEX].isdigit():
        return None
    return Gender.MALE if int(canonical[GENDER_DIGIT_INDEX]) % 2 == 1 else Gender.FEMALE


_VALIDATORS: dict[DocumentType, Check] = {
    DocumentType.ID_CARD: check_id_card,
    DocumentType.HKMO_RESIDENCE: check_hkmo_residence,
    DocumentType.TW_RESIDENCE: check_tw_residence,
    DocumentType.HKMO_PERMIT: check_hkmo_permit,
    DocumentType.TW_PERMIT: check_tw_permit,
}
