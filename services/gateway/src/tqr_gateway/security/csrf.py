"""CSRF protection: the signed double-submit cookie, bound to the session.

Every response carries a token in the cookie ``__Host-csrf`` (Secure, HttpOnly, SameSite=Strict,
Path=/). The token is ``nonce.hmac(secret, session | nonce)``: another site can neither read it nor
forge one, and a token minted for one session is worthless in another. A state-changing request
(POST/PUT/PATCH/DELETE) must echo the cookie's token in the form field ``csrf_token`` or in the
header ``X-CSRF-Token`` (scripts read it from ``<meta name="csrf-token">``). Otherwise it is refused
with 403 before any route runs, so nothing changes.

When the session cookie changes (login, logout) the old token no longer verifies and a new one is
issued with the next response; pages rendered after that carry the new token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tqr_gateway.bodies import replaying
from tqr_gateway.security.refusals import Refusal, RefusalPageRenderer, refusal_response

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "x-csrf-token"
CSRF_COOKIE: Final = "__Host-csrf"
CSRF_COOKIE_INSECURE: Final = "csrf"  # plain-http development on a host other than localhost
SESSION_COOKIE: Final = "__Host-session"
UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")

CSRF_REFUSAL: Final = Refusal(
    403, "CSRF_FAILED",
    "页面已过期或请求来源无法确认，您的操作没有生效。请返回上一页，刷新后重新提交。",
    "This page has expired or the request could not be verified, so nothing was changed. "
    "Please go back, reload the page and submit again.",
)


class CsrfSigner:
    """Mints and checks tokens ``nonce.signature`` bound to a session identifier."""

    def __init__(self, secret: str | bytes) -> None:
        key = secret.encode() if isinstance(secret, str) else secret
        if len(key) < 16:
            raise ValueError("the CSRF secret must be at least 16 bytes")
        # A key of its own, derived so that the gateway's secret is never used raw for two purposes.
        self._key = hmac.new(key, b"tqr-gateway-csrf-v1", hashlib.sha256).digest()

    def _sign(self, session: str, nonce: str) -> str:
        return hmac.new(self._key, f"{session}|{nonce}".encode(), hashlib.sha256).hexdigest()

    def issue(self, session: str) -> str:
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._sign(session, nonce)}"

    def verify(self, token: str, session: str) -> bool:
        nonce, dot, signature = token.partition(".")
        if not dot or not nonce or not signature:
            return False
        return hmac.compare_digest(signature, self._sign(session, nonce))


def csrf_token_of(connection: HTTPConnection) -> str:
    """The token to put in this request's page (hidden field or meta tag); empty without the middleware."""
    token = connection.scope.get("state", {}).get("csrf_token", "")
    return token if isinstance(token, str) else ""


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)




async def _submitted_field(scope: Scope, body: bytes) -> str | None:
    try:
        form = await Request(scope, replaying(body)).form()
    except Exception:  # a malformed body carries no valid token; the route never sees it
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


class CsrfMiddleware:
    """Pure ASGI. Place it inside the body-size limit (it buffers form bodies to read the field).

    ``secure=False`` drops the ``__Host-`` prefix and the Secure flag, for plain-http development
    on a host that is not ``localhost``; never in production.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str | bytes,
        secure: bool = True,
        session_cookie: str = SESSION_COOKIE,
        exempt_prefixes: Sequence[str] = (),
        renderer: RefusalPageRenderer | None = None,
    ) -> None:
        self.app = app
        self.signer = CsrfSigner(secret)
        self.secure = secure
        self.cookie_name = CSRF_COOKIE if secure else CSRF_COOKIE_INSECURE
        self.session_cookie = session_cookie
        self.exempt_prefixes = tuple(exempt_prefixes)
        self.renderer = renderer

    def _cookie_header(self, token: str) -> str:
        flags = "; Secure" if self.secure else ""
        return f"{self.cookie_name}={token}; Path=/; HttpOnly; SameSite=Strict{flags}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        session = connection.cookies.get(self.session_cookie, "")
        presented = connection.cookies.get(self.cookie_name, "")
        valid = presented if presented and self.signer.verify(presented, session) else ""
        token = valid or self.signer.issue(session)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and token != presented:
                MutableHeaders(scope=message).append("set-cookie", self._cookie_header(token))
            await send(message)

        if scope["method"] in UNSAFE_METHODS and not connection.url.path.startswith(self.exempt_prefixes):
            submitted = connection.headers.get(CSRF_HEADER)
            content_type = connection.headers.get("content-type", "")
            if not submitted and content_type.startswith(_FORM_TYPES):
                body = await _read_body(receive)
                receive = replaying(body)
                submitted = await _submitted_field(scope, body)
            if not (valid and submitted and hmac.compare_digest(submitted.encode(), valid.encode())):
                response = refusal_response(connection, CSRF_REFUSAL, self.renderer)
                await response(scope, receive, send_with_cookie)
                return
        await self.app(scope, receive, send_with_cookie)
