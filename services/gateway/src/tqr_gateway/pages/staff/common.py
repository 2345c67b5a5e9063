"""What every staff page needs: the caller's Actor, refusals turned into form errors, and times in
Asia/Shanghai. (Who may see which page, and the clients, are dependencies: ``tqr_gateway.deps``.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import grpc
from fastapi import Request
from servicekit import errors
from servicekit.rpc.errors import from_rpc_error

from tqr_gateway.deps import actor_metadata
from tqr_gateway.flows.staff_rules import Problem
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.formatting import CHINA_TZ
from tqr_gateway.web.language import language_of


def metadata(session: SessionInfo) -> tuple[tuple[str, bytes], ...]:
    return actor_metadata(session)


def refusal_problems(exc: grpc.aio.AioRpcError, *, fallback_field: str = "") -> list[Problem]:
    """A service's refusal as problems to show beside the form; faults are re-raised for the app's
    error page (nothing to correct in the form)."""
    refusal = from_rpc_error(exc)
    if refusal is None or exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        raise exc
    if isinstance(refusal, errors.InvalidInput) and refusal.problems:
        return [Problem(p.field.replace("_", "-"), p.message_zh, p.message_en) for p in refusal.problems]
    return [Problem(fallback_field, refusal.message_zh, refusal.message_en)]


def form_errors(request: Request, problems: list[Problem]) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(the error summary's entries, message per field) in the person's language."""
    lang = language_of(request)
    summary: list[dict[str, str]] = []
    by_field: dict[str, str] = {}
    for problem in problems:
        text = problem.message(lang)
        summary.append({"field": problem.field or "main", "message": text})
        if problem.field:
            by_field.setdefault(problem.field, text)
    return summary, by_field


def local_input_value(value: datetime | None) -> str:
    """The value of a ``datetime-local`` input: Beijing wall-clock time."""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def parse_local(text: str) -> datetime | None:
    """``YYYY-MM-DDTHH:MM`` (or with a space) read as Asia/Shanghai time; None when not a time."""
    clean = text.strip().replace(" ", "T")
    try:
        naive = datetime.fromisoformat(clean)
    except ValueError:
        return None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=CHINA_TZ)


def text_of(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
