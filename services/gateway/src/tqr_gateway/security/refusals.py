"""One way for the security middleware to say no: a problem document for programs, a page for
people, in the person's language, and nothing changed behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import escape
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


# Renders the HTML page of a refusal; the web shell installs one that uses the site layout.
RefusalPageRenderer = Callable[[HTTPConnection, Refusal], str]


def wants_json(connection: HTTPConnection) -> bool:
    """API paths and clients that ask for JSON (and not HTML) get a problem document."""
    if connection.url.path.startswith("/api/"):
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


def refusal_response(
    connection: HTTPConnection, refusal: Refusal, renderer: RefusalPageRenderer | None = None
) -> Response:
    lang = language_of(connection)
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
    if wants_json(connection):
        doc: dict[str, object] = {
            "type": "about:blank", "status": refusal.status, "code": refusal.code,
            "title": refusal.message(lang), "message_zh": refusal.message_zh, "message_en": refusal.message_en,
        }
        if refusal.retry_after:
            doc["retry_after"] = refusal.retry_after
        return JSONResponse(doc, status_code=refusal.status, headers=headers, media_type="application/problem+json")
    page = (renderer or plain_refusal_page)(connection, refusal)
    return HTMLResponse(page, status_code=refusal.status, headers=headers)
