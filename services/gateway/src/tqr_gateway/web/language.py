"""Which language a person reads: their own choice (the ``lang`` cookie) first, Chinese otherwise.

The browser's Accept-Language is deliberately ignored: the service is Chinese first, and once a
person has picked a language nothing else may override it.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SUPPORTED_LANGUAGES: Final = ("zh", "en")
DEFAULT_LANGUAGE: Final = "zh"
LANG_COOKIE: Final = "lang"
LANG_COOKIE_MAX_AGE: Final = 365 * 24 * 3600
HTML_LANG: Final = {"zh": "zh-CN", "en": "en"}


def normalise_language(code: str | None) -> str:
    return code if code in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def language_of(connection: HTTPConnection) -> str:
    """The language of this request: set by ``LanguageMiddleware``, else read from the cookie."""
    chosen = connection.scope.get("state", {}).get("lang")
    if chosen in SUPPORTED_LANGUAGES:
        return str(chosen)
    return normalise_language(connection.cookies.get(LANG_COOKIE))


def safe_local_path(candidate: str | None, fallback: str = "/") -> str:
    """``candidate`` if it is a path on this site, else ``fallback``: no open redirects.

    Refused: absolute URLs, scheme-relative ``//host``, backslash tricks (``/\\host`` is read as
    ``//host`` by browsers), control characters, and anything not starting with ``/``.
    """
    if not candidate or not candidate.startswith("/"):
        return fallback
    if candidate.startswith(("//", "/\\")) or "\\" in candidate:
        return fallback
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in candidate):
        return fallback
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return fallback
    return candidate


class LanguageMiddleware:
    """Pure ASGI: puts the resolved language in ``scope["state"]["lang"]`` and answers with
    ``Content-Language`` so assistive technology and caches know what they got."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang = normalise_language(HTTPConnection(scope).cookies.get(LANG_COOKIE))
        scope.setdefault("state", {})["lang"] = lang

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"content-language" for name, _ in headers):
                    headers.append((b"content-language", HTML_LANG[lang].encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_language)
