"""Security headers on every response, and the caching rule: personal data is never cached.

Pure ASGI so it also covers responses from mounted apps (static files) and error handlers.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_CSP = ("default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
# FastAPI's interactive API docs load Swagger UI from a CDN and run an inline script.
SWAGGER_UI_CSP = ("default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
                  "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
                  "style-src 'self' https://cdn.jsdelivr.net; frame-ancestors 'none'; base-uri 'none'")
PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=(), browsing-topics=()")
STATIC_CACHE = "public, max-age=31536000, immutable"
NO_STORE = "no-store"


class AnswerHeaders:
    """The headers every answer gets, by its path: built once per kind of answer (every request
    needs them), for the layer below and for answers sent without it (the admission layer's)."""

    def __init__(self, *, static_prefix: str = "/static/", csp: str = DEFAULT_CSP,
                 csp_overrides: Mapping[str, str] | None = None, hsts: bool = False) -> None:
        self.static_prefix = static_prefix
        self.csp = csp
        self.csp_overrides = dict(csp_overrides or {})
        self.hsts = hsts
        self._built: dict[tuple[bool, str], dict[bytes, bytes]] = {}

    def is_static(self, path: str) -> bool:
        return path.startswith(self.static_prefix)

    def for_path(self, path: str) -> dict[bytes, bytes]:
        static = self.is_static(path)
        key = (static, self._policy_for(path))
        fixed = self._built.get(key)
        if fixed is None:
            fixed = self._built[key] = {
                b"content-security-policy": key[1].encode(),
                b"x-content-type-options": b"nosniff",
                b"referrer-policy": b"same-origin",
                b"permissions-policy": PERMISSIONS_POLICY.encode(),
                b"cross-origin-opener-policy": b"same-origin",
                b"x-frame-options": b"DENY",
                # Whatever a route said: a page with personal data must not sit in any cache.
                b"cache-control": (STATIC_CACHE if static else NO_STORE).encode(),
            }
            if self.hsts:
                fixed[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
        return fixed

    def _policy_for(self, path: str) -> str:
        for prefix, policy in self.csp_overrides.items():
            if path.startswith(prefix):
                return policy
        return self.csp


class SecurityHeaders:
    """Adds CSP, nosniff, Referrer-Policy, Permissions-Policy, COOP, X-Frame-Options and
    ``Cache-Control``: ``no-store`` everywhere except under ``static_prefix``.

    ``csp_overrides`` maps a path prefix to another policy (e.g. ``{"/api/v1/docs": SWAGGER_UI_CSP}``);
    ``hsts`` adds Strict-Transport-Security and belongs to deployments served over https only.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        static_prefix: str = "/static/",
        csp: str = DEFAULT_CSP,
        csp_overrides: Mapping[str, str] | None = None,
        hsts: bool = False,
    ) -> None:
        self.app = app
        self.headers = AnswerHeaders(static_prefix=static_prefix, csp=csp, csp_overrides=csp_overrides, hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = self.headers.is_static(path)
        fixed = self.headers.for_path(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in fixed]
                if not static:
                    kept = [(k, v) for k, v in kept if k.lower() not in (b"expires", b"pragma")]
                message["headers"] = kept + list(fixed.items())
            await send(message)

        await self.app(scope, receive, send_with_headers)
