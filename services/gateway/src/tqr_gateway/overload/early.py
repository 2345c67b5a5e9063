"""What the admission layer needs to decide and answer before the rest of the gateway runs.

The admission layer is the outermost layer but one (only ForwardedClient, which sets the real client
address, runs before it): a request that is refused or queued costs no session look-up, no routing
and no trip through the other middleware; a request that is let in runs the whole stack as before.

**Who is asking, told cheaply.** A request's standing comes from its path and method, the presence
of the session cookie, this gateway's in-process session cache (a dictionary look-up: it tells staff
from applicants for sessions resolved in the last few seconds) and the waiting room's pass (an HMAC
checked in memory). A session cookie the cache does not know ranks as an applicant's. Why a forged
or stale cookie gains nothing worth having:

- it ranks with wizard steps, so it passes new visitors, but it is still held to the concurrency
  limit, waits its turn behind submissions and steps, and is shed when no slot comes in time;
- once let in, the session layer finds no session, and the page or API answers at once with the
  sign-in page (a redirect) or 401: the slot is back within one identity look-up, and what the
  forger receives is exactly what an anonymous person gets. To do anything under way they must
  sign in, which is a sign-in: it ranks below steps like everyone's;
- staff standing is never taken from the cookie alone: only a session this gateway has resolved as
  staff, or a staff path (whose pages need a staff session, checked by the next layers).

**Answers without the stack.** The waiting page and the 503 are rendered once per language and
address (and, for the 503, the seconds to wait; its problem document once per language and seconds)
and kept in a small cache; the waiting page's place and estimate, and the problem document's request
id, are put into the cached text. Early answers carry the security headers and a request id
as every other answer does.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from servicekit import correlation
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from tqr_gateway.overload.waiting_room import Place
from tqr_gateway.security.headers import AnswerHeaders
from tqr_gateway.security.refusals import PROBLEM_JSON, Refusal, refusal_response, wants_json
from tqr_gateway.session import session_token_of
from tqr_gateway.web.language import HTML_LANG, language_of
from tqr_gateway.web.templating import render_page

# Pages kept per process: the addresses people are refused or queued at are few (the wizard's steps,
# the landing and sign-in pages); an address seldom asked for is rendered again when it comes back.
CACHED_PAGES = 512
# Stand-ins put into a page rendered once, replaced by this moment's figures.
_POSITION = "999000111"
_MINUTES = "999000222"
_REQUEST_ID = "req-999000333"  # a request id as correlation.clean keeps it, plain in JSON


def signed_in(scope: Scope, secure: bool) -> str | None:
    """"staff" or "applicant" when the request carries a session cookie, else None: "staff" only for
    a session this gateway remembers as staff's (the module's docstring says why that is enough)."""
    token = session_token_of(scope, secure)
    if not token:
        return None
    app = scope.get("app")
    cache = getattr(app.state, "session_cache", None) if app is not None else None
    remembered = cache.peek(token) if cache is not None else None
    return "staff" if remembered is not None and remembered.is_staff else "applicant"


class _Pages:
    """Rendered text by key, the least recently used dropped first."""

    def __init__(self, size: int = CACHED_PAGES) -> None:
        self._size = size
        self._texts: OrderedDict[tuple[Any, ...], str] = OrderedDict()

    def get(self, key: tuple[Any, ...], render: Callable[[], str]) -> str:
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = render()
            if len(self._texts) > self._size:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(key)
        return text


class EarlyAnswers:
    """The waiting page and the 503, answered by the admission layer itself."""

    def __init__(self, *, hsts: bool = False) -> None:
        self._pages = _Pages()
        # The security layer's headers: an early answer is sent here, not through the stack.
        self._answer_headers = AnswerHeaders(hsts=hsts)

    def busy(self, connection: HTTPConnection, seconds: int) -> ASGIApp:
        """503 with Retry-After: a problem document for programs, a page for people."""
        headers = [(b"retry-after", str(seconds).encode()), _content_language(connection)]
        request_id = _request_id(connection)
        if wants_json(connection):
            # The document carries this request's id: written once with a stand-in for it.
            def document() -> str:
                with correlation.bound(_REQUEST_ID):
                    return refusal_response(connection, _busy(seconds)).body.decode()

            text = self._pages.get(("busy-json", language_of(connection), seconds), document)
            return self._answer(503, text.replace(_REQUEST_ID, request_id).encode(), PROBLEM_JSON, request_id,
                                headers)
        renderer = getattr(connection.app.state, "refusal_renderer", None)
        key = ("busy", language_of(connection), seconds, _here(connection))
        text = self._pages.get(key, lambda: refusal_response(connection, _busy(seconds), renderer).body.decode())
        return self._answer(503, text.encode(), "text/html", request_id, headers)

    def waiting(self, connection: HTTPConnection, place: Place, refresh_seconds: int,
                abandon_seconds: int, set_cookie: tuple[bytes, bytes]) -> ASGIApp:
        """The waiting page at the address asked for: a page, not an error (200, so no error alert
        fires for a queue working as it should). Never cached by the browser: every answer is this
        moment's place."""
        wait = place.estimated_wait_seconds
        minutes = None if wait is None else max(1, math.ceil(wait / 60))
        here = _here(connection)
        key = ("waiting", language_of(connection), here, minutes is not None, refresh_seconds, abandon_seconds)

        def render() -> str:
            return render_page(connection, "overload/waiting_room.html",
                               {"position": _POSITION, "minutes": _MINUTES if minutes else None,
                                "refresh": refresh_seconds, "abandon": abandon_seconds, "here": here})

        text = self._pages.get(key, render).replace(_POSITION, str(place.position))
        if minutes:
            text = text.replace(_MINUTES, str(minutes))
        return self._answer(200, text.encode(), "text/html", _request_id(connection),
                            [set_cookie, _content_language(connection)])

    def _answer(self, status: int, body: bytes, media_type: str, request_id: str,
                headers: list[tuple[bytes, bytes]]) -> ASGIApp:
        if media_type.startswith("text/"):
            media_type += "; charset=utf-8"

        answer_headers = self._answer_headers

        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()), *headers, *answer_headers.for_path(scope["path"]).items()]})
            await send({"type": "http.response.body", "body": body})

        return answer


def _busy(seconds: int) -> Refusal:
    return Refusal(503, "SERVER_BUSY",
                   f"访问人数较多，系统正忙。您已保存的内容不会丢失，请在 {seconds} 秒后重试。",
                   f"Too many people are using the service right now. Nothing you saved is lost; "
                   f"please try again in {seconds} seconds.", retry_after=seconds)


def _request_id(connection: HTTPConnection) -> str:
    """The caller's request id when it is plain, else a new one (as observability.RequestContext)."""
    return correlation.clean(connection.headers.get(correlation.HTTP_HEADER))


def _content_language(connection: HTTPConnection) -> tuple[bytes, bytes]:
    return b"content-language", HTML_LANG[language_of(connection)].encode()


def _here(connection: HTTPConnection) -> str:
    query = connection.scope.get("query_string", b"").decode("latin-1")
    return connection.scope["path"] + (f"?{query}" if query else "")
