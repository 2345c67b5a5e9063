"""What the staff API routes share: problem documents for the console's own checks."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import JSONResponse
from servicekit.errors import FieldProblem

from tqr_gateway.flows.staff_rules import Problem
from tqr_gateway.security import refusals
from tqr_gateway.web.formatting import CHINA_TZ


def problem_response(request: Request, problems: list[Problem], code: str,
                     title_zh: str = "提交的信息有误，请按提示修改",
                     title_en: str = "Some answers need correcting") -> JSONResponse:
    """422 with the same shape the app gives a service's InvalidInput (rule id + per-field messages)."""
    fields = [FieldProblem(p.field.replace("-", "_"), code, p.message_zh, p.message_en) for p in problems]
    return refusals.problem_response(request, refusals.Refusal(422, code, title_zh, title_en), fields)


def beijing(value: datetime) -> datetime:
    """A time without an offset is Beijing time, as on the console's forms."""
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)
