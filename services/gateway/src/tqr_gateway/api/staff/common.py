"""What the staff API routes share: problem documents for the console's own checks."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from fastapi.responses import JSONResponse
from servicekit import correlation

from tqr_gateway.pages.staff.rules import Problem
from tqr_gateway.web.formatting import CHINA_TZ
from tqr_gateway.web.language import language_of


def problem_response(request: Request, problems: list[Problem], code: str,
                     title_zh: str = "提交的信息有误，请按提示修改",
                     title_en: str = "Some answers need correcting") -> JSONResponse:
    """422 with the same shape the app gives a service's InvalidInput (rule id + per-field messages)."""
    lang = language_of(request)
    doc = {
        "type": "about:blank", "status": 422, "code": code, "title": title_en if lang == "en" else title_zh,
        "message_zh": title_zh, "message_en": title_en, "request_id": correlation.current(),
        "errors": [{"field": p.field.replace("-", "_"), "code": code, "message": p.message(lang),
                    "message_zh": p.message_zh, "message_en": p.message_en} for p in problems],
    }
    return JSONResponse(doc, status_code=422, media_type="application/problem+json")


def beijing(value: datetime) -> datetime:
    """A time without an offset is Beijing time, as on the console's forms."""
    return value if value.tzinfo is not None else value.replace(tzinfo=CHINA_TZ)
