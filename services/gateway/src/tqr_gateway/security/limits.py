"""A limit on the size of request bodies: 1 MiB by default, more for named upload paths.

Checked before any route runs: a declared ``Content-Length`` over the limit is refused at once;
a chunked body is read up to the limit and refused as soon as it passes it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from tqr_gateway.bodies import replaying
from tqr_gateway.security.refusals import Refusal, RefusalPageRenderer, refusal_response

MIB = 1024 * 1024
DEFAULT_BODY_LIMIT = 1 * MIB
UPLOAD_BODY_LIMIT = 8 * MIB


def too_large(limit: int) -> Refusal:
    size = f"{limit / MIB:g} MB"
    return Refusal(
        413, "BODY_TOO_LARGE",
        f"提交的内容太大（上限 {size}）。如果是上传照片，请压缩或缩小后重新上传。",
        f"What you sent is too large (the limit is {size}). If it is a photo, "
        f"please make it smaller and upload it again.",
    )


class BodySizeLimit:
    """Pure ASGI. ``path_limits`` maps a path prefix to its own limit, the longest prefix wins,
    e.g. ``{"/account/verification/manual-review": UPLOAD_BODY_LIMIT}``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int = DEFAULT_BODY_LIMIT,
        path_limits: Mapping[str, int] | None = None,
        renderer: RefusalPageRenderer | None = None,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.path_limits = sorted((path_limits or {}).items(), key=lambda item: len(item[0]), reverse=True)
        self.renderer = renderer

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.path_limits:
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = refusal_response(HTTPConnection(scope), too_large(limit), self.renderer)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = HTTPConnection(scope).headers
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            # The server holds the body to its declared length, so nothing more to count.
            await self.app(scope, receive, send)
            return
        if "chunked" not in headers.get("transfer-encoding", "").lower():
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks)), send)


