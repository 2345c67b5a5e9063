"""Reading one raw field of a step into a typed value, recording a FieldProblem when it is wrong.

Values arrive as the client sent them (JSON strings, numbers, lists); nothing here trusts them.
Each reader returns None when the field is wrong, so a step can report every problem at once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from servicekit.errors import FieldProblem
from servicekit.text import text_problem

MAX_TEXT = 100
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


class Problems:
    """Collects the problems of one step, all under the step's rule id."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.items: list[FieldProblem] = []

    def add(self, field: str, message_zh: str, message_en: str, code: str | None = None) -> None:
        self.items.append(FieldProblem(field, code or self.rule, message_zh, message_en))

    def __bool__(self) -> bool:
        return bool(self.items)


def text(p: Problems, values: Mapping[str, Any], name: str, label_zh: str, label_en: str, *,
         field: str | None = None, max_length: int = MAX_TEXT) -> str | None:
    """One line of free text, spaces collapsed. Control and bidi-override characters, line breaks
    and tabs are refused, never stored (``servicekit.text``)."""
    raw = values.get(name)
    where = field or name
    unsafe = text_problem(where, raw.strip()) if isinstance(raw, str) else None
    if unsafe is not None:
        p.items.append(unsafe)
        return None
    clean = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not clean:
        p.add(where, f"请填写{label_zh}", f"Fill in the {label_en}")
        return None
    if len(clean) > max_length:
        p.add(where, f"{label_zh}不能超过 {max_length} 个字", f"The {label_en} may be at most {max_length} characters")
        return None
    return clean


def choice(p: Problems, values: Mapping[str, Any], name: str, allowed: Collection[str], label_zh: str,
           label_en: str, *, field: str | None = None, code: str | None = None) -> str | None:
    """A value from a list; an empty ``allowed`` accepts any non-empty value (list not loaded)."""
    raw = values.get(name)
    clean = raw.strip() if isinstance(raw, str) else ""
    if not clean or (allowed and clean not in allowed):
        p.add(field or name, f"请选择{label_zh}", f"Choose the {label_en}", code)
        return None
    return clean


def a_date(p: Problems, values: Mapping[str, Any], name: str, label_zh: str, label_en: str, *, today: date,
           field: str | None = None, optional: bool = False) -> date | None:
    """A YYYY-MM-DD date, not after ``today`` (Beijing). Optional dates return None when empty."""
    raw = values.get(name)
    where = field or name
    if isinstance(raw, date):
        parsed = raw
    else:
        clean = raw.strip() if isinstance(raw, str) else ""
        if not clean:
            if not optional:
                p.add(where, f"请填写{label_zh}", f"Fill in the {label_en}")
            return None
        try:
            parsed = date.fromisoformat(clean)
        except ValueError:
            p.add(where, f"{label_zh}请按“年-月-日”填写，例如 2021-09-01",
                  f"Give the {label_en} as year-month-day, e.g. 2021-09-01")
            return None
    if parsed > today:
        p.add(where, f"{label_zh}不能晚于今天", f"The {label_en} cannot be in the future")
        return None
    return parsed


def whole_number(p: Problems, values: Mapping[str, Any], name: str, label_zh: str, label_en: str, *,
                 low: int, high: int, field: str | None = None) -> int | None:
    raw = values.get(name)
    where = field or name
    number: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        number = int(raw.strip())
    if number is None:
        p.add(where, f"请填写{label_zh}（整数）", f"Fill in the {label_en} as a whole number")
        return None
    if not low <= number <= high:
        p.add(where, f"{label_zh}应在 {low} 至 {high} 之间", f"The {label_en} must be between {low} and {high}")
        return None
    return number


def email(p: Problems, values: Mapping[str, Any], name: str = "email") -> str | None:
    raw = values.get(name)
    clean = raw.strip() if isinstance(raw, str) else ""
    if not clean:
        p.add(name, "请填写电子邮箱，忘记密码时用它找回", "Fill in your email; it is used if you forget your password")
        return None
    if not EMAIL.match(clean) or len(clean) > 254:
        p.add(name, "电子邮箱格式不对，请按 name@example.com 的格式填写",
              "Give an email address like name@example.com")
        return None
    return clean


def items(p: Problems, values: Mapping[str, Any], name: str, label_zh: str, label_en: str,
          *, max_items: int = 50) -> list[Mapping[str, Any]]:
    raw = values.get(name)
    if not isinstance(raw, list | tuple) or not raw:
        p.add(name, f"请填写{label_zh}", f"Fill in the {label_en}")
        return []
    if len(raw) > max_items:
        p.add(name, f"{label_zh}最多 {max_items} 项", f"At most {max_items} entries in the {label_en}")
        return []
    rows: list[Mapping[str, Any]] = []
    for i, row in enumerate(raw):
        if isinstance(row, Mapping):
            rows.append(row)
        else:
            p.add(f"{name}[{i}]", f"{label_zh}第 {i + 1} 项格式不对", f"Entry {i + 1} of the {label_en} is malformed")
            rows.append({})
    return rows
