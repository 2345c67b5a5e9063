"""What people type, made comparable (numbers) and safe to keep (free text). One place for every
service and the gateway, so that a number typed one way is never a different number elsewhere.

**Numbers (R-WIZ-11).** Every number a person types — certificate, identity document, application
number, mobile — goes through ``normalise_number`` before it is checked, matched, stored or
searched for:

- NFKC folds full-width digits and letters (what a Chinese input method types: ``１２３``,
  ``ＡＢＣ``) and the ideographic space to their ASCII forms;
- whitespace and dashes are dropped (people group long numbers as they read them aloud, or copy
  the grouped display form ``2026 110108 000123 45``); none of these numbers has either;
- letters are upper-cased: an ID card's final ``x`` and ``X`` are the same number, and so are
  ``h`` and ``H`` of a Hong Kong permit.

The result is the canonical form; anything a checker still finds wrong in it (a letter where a
digit belongs, a Chinese character) is then refused by the checker, never silently removed.

**Free text.** Names, schools, reasons, messages are kept as typed, except that they may not
contain characters nobody can see and that change what others see or break storage:

- control characters (C0 and C1, DEL; NUL in particular, which PostgreSQL cannot store in text);
- the bidirectional embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, which make
  text display in another order than it is stored ("Trojan Source"): a school name that reads one
  way on the staff screen and another on the printed form;
- lone UTF-16 surrogates, which cannot be encoded at all.

Line breaks and tabs are refused too, except in a field of several lines (a message, a reason),
which accepts ``\\n``, ``\\r`` (browsers send a textarea's lines as CRLF) and ``\\t``. A refusal
names the field and the code points found (never the text itself: it may be personal data).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from servicekit.errors import FieldProblem, InvalidInput

# The code a refused free-text field carries (FieldProblem.code).
UNSAFE_TEXT = "UNSAFE_TEXT"

# Whitespace and the dashes (after NFKC: ASCII hyphen-minus, the Unicode hyphens and dashes).
_NUMBER_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]")
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
LINE_BREAKS_AND_TABS = frozenset("\n\r\t")
MAX_NAMED = 3  # code points a message names at most


def fold(raw: str) -> str:
    """NFKC: full-width digits, letters and punctuation to ASCII; nothing else removed."""
    return unicodedata.normalize("NFKC", raw)


def normalise_number(raw: str) -> str:
    """The canonical form of a typed number (R-WIZ-11): full width folded, whitespace and dashes
    dropped, letters upper-cased: ``"１１０１０５ １９４９-１２３１ ００２ｘ"`` → ``"11010519491231002X"``."""
    return _NUMBER_SEPARATORS.sub("", fold(raw)).upper()


def _is_unsafe(char: str, multiline: bool) -> bool:
    if char in LINE_BREAKS_AND_TABS:
        return not multiline
    if char in BIDI_CONTROLS:
        return True
    category = unicodedata.category(char)
    return category in ("Cc", "Cs")


def unsafe_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The characters of ``value`` free text may not contain, each once, in order of appearance."""
    found: dict[str, None] = {}
    for char in value:
        if char not in found and _is_unsafe(char, multiline):
            found[char] = None
    return list(found)


def code_points(chars: Iterable[str], separator: str = ", ") -> str:
    """``U+0000, U+202E`` — how a message names characters nobody can see."""
    listed = [f"U+{ord(c):04X}" for c in chars]
    more = "…" if len(listed) > MAX_NAMED else ""
    return separator.join(listed[:MAX_NAMED]) + more


def text_problem(field: str, value: str, *, multiline: bool = False, code: str = UNSAFE_TEXT) -> FieldProblem | None:
    """The refusal of one free-text field, or None when it may be stored as it is."""
    found = unsafe_characters(value, multiline=multiline)
    if not found:
        return None
    if all(c in LINE_BREAKS_AND_TABS for c in found):
        return FieldProblem(field, code, "此项只能填写一行文字，请删除其中的换行或制表符",
                            "This field takes a single line; remove the line breaks or tabs")
    return FieldProblem(
        field, code,
        f"含有看不见的控制字符或文字方向控制字符（{code_points(found, '、')}），可能是从别处复制时带进来的。"
        "请删除后重新输入",
        f"Contains invisible control or text-direction characters ({code_points(found)}), perhaps copied from "
        "elsewhere. Delete them and type the text again",
    )


def require_safe_text(values: Mapping[str, str], *, multiline: Iterable[str] = (), code: str = UNSAFE_TEXT) -> None:
    """Raise InvalidInput naming every field of ``values`` (field → text) that may not be stored;
    the fields named in ``multiline`` accept line breaks and tabs."""
    several = set(multiline)
    problems = [p for name, value in values.items()
                if (p := text_problem(name, value, multiline=name in several, code=code)) is not None]
    if problems:
        raise InvalidInput(problems)
