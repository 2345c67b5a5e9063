"""Input refused before any route runs, answered like every other refusal.

A body that cannot be read at all (not JSON) is ``400 MALFORMED_BODY``, as a form that cannot be
parsed already is; input that can be read but does not fit the operation is ``422 INVALID_INPUT``
with one entry per field — the code and title a service's InvalidInput has, so a program handles
both alike. The route never runs, so nothing changes. The input itself is never echoed back (it
may be a password).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.exceptions import RequestValidationError
from servicekit.errors import FieldProblem

from tqr_gateway.errors import MALFORMED_BODY
from tqr_gateway.security.refusals import Refusal

INVALID_INPUT = Refusal(422, "INVALID_INPUT", "提交的信息有误，请按提示修改", "Some answers need correcting")

_DATE = "请填写日期，例如 2026-03-01"
_DATETIME = "请填写日期和时间，例如 2026-03-01T09:00:00+08:00"
_INTEGER = "请填写整数"
_NUMBER = "请填写数字"
_BOOLEAN = "请填写 true 或 false"
_OBJECT = "须为 JSON 对象"
# The Chinese of pydantic's error types (its English message is kept as it is); ``{…}`` are the
# error's context values.
_ZH: dict[str, str] = {
    "missing": "此项必填",
    "string_type": "请填写文字",
    "string_unicode": "请填写文字（UTF-8）",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": _INTEGER, "int_parsing": _INTEGER, "int_from_float": _INTEGER,
    "float_type": _NUMBER, "float_parsing": _NUMBER,
    "bool_type": _BOOLEAN, "bool_parsing": _BOOLEAN,
    "greater_than": "须大于 {gt}", "greater_than_equal": "不能小于 {ge}",
    "less_than": "须小于 {lt}", "less_than_equal": "不能大于 {le}",
    "literal_error": "须为以下之一：{expected}", "enum": "须为以下之一：{expected}",
    "list_type": "须为列表", "too_short": "至少 {min_length} 项", "too_long": "不能超过 {max_length} 项",
    "dict_type": _OBJECT, "model_type": _OBJECT, "model_attributes_type": _OBJECT,
    "date_type": _DATE, "date_parsing": _DATE, "date_from_datetime_parsing": _DATE,
    "datetime_type": _DATETIME, "datetime_parsing": _DATETIME, "datetime_from_date_parsing": _DATETIME,
    "extra_forbidden": "不接受此项",
}
_ZH_OTHERWISE = "此项填写有误"


def field_name(loc: Sequence[str | int]) -> str:
    """``("body", "materials", "work_history", 0, "start")`` → ``materials.work_history[0].start`` (the
    way the services name fields); the location itself (``body``, ``query``…) when all of it is wrong."""
    where, *path = loc
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(where)


def _zh(error: Mapping[str, Any]) -> str:
    context = {k: str(v).replace(" or ", "、") for k, v in (error.get("ctx") or {}).items()}
    try:
        return _ZH.get(str(error["type"]), _ZH_OTHERWISE).format_map(context)
    except (KeyError, IndexError, ValueError):
        return _ZH_OTHERWISE


def refusal_for(exc: RequestValidationError) -> tuple[Refusal, list[FieldProblem]]:
    found = list(exc.errors())
    unreadable = next((e for e in found if e["type"] == "json_invalid"), None)
    if unreadable is not None:
        reason = (unreadable.get("ctx") or {}).get("error", "")
        where = unreadable["loc"][-1] if len(unreadable["loc"]) > 1 else 0
        return MALFORMED_BODY, [FieldProblem("body", "JSON_INVALID", f"不是有效的 JSON（位置 {where}）",
                                             f"Not valid JSON: {reason} (at position {where})")]
    return INVALID_INPUT, [FieldProblem(field_name(e["loc"]), str(e["type"]).upper(), _zh(e), str(e["msg"]))
                           for e in found]
