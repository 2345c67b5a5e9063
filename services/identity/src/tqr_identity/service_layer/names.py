"""A person's name as entered (the identity authority holds the reference, R-ID-9)."""

from __future__ import annotations

import re
import unicodedata

from servicekit.errors import FieldProblem, InvalidInput

CODE = "NAME"
MAX_LENGTH = 50
# CJK ideographs (with extensions), Latin letters, the middle dot of transliterated names and spaces.
_ALLOWED = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134fA-Za-z·•\- ]+")


def name_problem(raw: str, field: str = "name") -> FieldProblem | None:
    name = normalise_name(raw)
    if not name:
        return FieldProblem(field, CODE, "请输入姓名（与证件上一致）", "Enter your name as on the document")
    if len(name) > MAX_LENGTH or not _ALLOWED.fullmatch(name):
        return FieldProblem(
            field, CODE,
            "请按证件填写姓名：只能包含汉字、英文字母、间隔号“·”和空格",
            "Enter the name as on the document: Chinese characters, English letters, the dot “·” and spaces only",
        )
    return None


def normalise_name(raw: str) -> str:
    """NFKC (full-width letters to ASCII), single spaces, no spaces around the middle dot."""
    text = " ".join(unicodedata.normalize("NFKC", raw).split())
    return re.sub(r"\s*([·•])\s*", r"\1", text)


def validate_name(raw: str, field: str = "name") -> str:
    problem = name_problem(raw, field)
    if problem:
        raise InvalidInput([problem], code=CODE)
    return normalise_name(raw)
