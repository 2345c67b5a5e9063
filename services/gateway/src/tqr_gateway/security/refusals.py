"""One way for the gateway to say no: a problem document for programs, a page for people, in the
person's language, and nothing changed behind it.

Every refusal of the gateway (its own checks, a service's refusal, input it cannot read) is a
``Refusal``, and ``problem_document`` is the one place its RFC 9457 shape is written
(``tqr_gateway.api.problems.Problem`` documents it in the OpenAPI document).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from markupsafe import escape
from servicekit import correlation
from servicekit.errors import FieldProblem
from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, Response

from tqr_gateway.web.language import HTML_LANG, language_of


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message_zh: str
    message_en: str
    retry_after: int | None = None

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


PROBLEM_JSON = "application/problem+json"
_REFUSES_WITH = "refuses_with"
D = TypeVar("D")


def refuses_with(*statuses: int) -> Callable[[D], D]:
    """Marks a route dependency (a function or a class) with the statuses it refuses requests with,
    so that every operation that depends on it declares them (``tqr_gateway.api.problems``)."""

    def mark(dependency: D) -> D:
        setattr(dependency, _REFUSES_WITH, statuses)
        return dependency

    return mark


def refusals_of(dependency: object) -> tuple[int, ...]:
    return tuple(getattr(dependency, _REFUSES_WITH, ()))


# Renders the HTML page of a refusal; the web shell installs one that uses the site layout.
RefusalPageRenderer = Callable[[HTTPConnection, Refusal], str]


def wants_json(connection: HTTPConnection) -> bool:
    """API paths and clients that ask for JSON (and not HTML) get a problem document."""
    if connection.scope["path"].startswith("/api/"):  # scope: a URL object costs more than a refusal
        return True
    accept = connection.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def plain_refusal_page(connection: HTTPConnection, refusal: Refusal) -> str:
    """A page with no dependencies, for when no renderer is installed."""
    lang = language_of(connection)
    message = escape(refusal.message(lang))
    return (f'<!DOCTYPE html><html lang="{HTML_LANG[lang]}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{message}</title></head><body><main><h1>{message}</h1>"
            f'<p><a href="/">{"Home" if lang == "en" else "返回首页"}</a></p></main></body></html>')


def problem_document(refusal: Refusal, lang: str, problems: Sequence[FieldProblem] = ()) -> dict[str, object]:
    """RFC 9457 problem details: the rule id as ``code``, the message in the person's language as
    ``title`` (and in both languages), the request id to quote, and one entry per field to correct."""
    doc: dict[str, object] = {
        "type": "about:blank", "status": refusal.status, "code": refusal.code, "title": refusal.message(lang),
        "message_zh": refusal.message_zh, "message_en": refusal.message_en, "request_id": correlation.current(),
    }
    if problems:
        doc["errors"] = [{"field": p.field, "code": p.code, "message": p.message_en if lang == "en" else p.message_zh,
                          "message_zh": p.message_zh, "message_en": p.message_en} for p in problems]
    if refusal.retry_after:
        doc["retry_after"] = refusal.retry_after
    return doc


def problem_response(connection: HTTPConnection, refusal: Refusal,
                     problems: Sequence[FieldProblem] = ()) -> JSONResponse:
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
    return JSONResponse(problem_document(refusal, language_of(connection), problems), status_code=refusal.status,
                        headers=headers, media_type=PROBLEM_JSON)


def refusal_response(
    connection: HTTPConnection, refusal: Refusal, renderer: RefusalPageRenderer | None = None,
    problems: Sequence[FieldProblem] = (),
) -> Response:
    """A problem document for programs; for people a page that says what went wrong (the fields to
    correct are the form's business: pages that have a form show them beside it)."""
    if wants_json(connection):
        return problem_response(connection, refusal, problems)
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
    page = (renderer or plain_refusal_page)(connection, refusal)
    return HTMLResponse(page, status_code=refusal.status, headers=headers)
