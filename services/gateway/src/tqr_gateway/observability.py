"""Request ids, JSON access lines and HTTP metrics for every request (a pure ASGI middleware); while
the gateway drains before stopping, every response also closes its connection."""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Histogram
from servicekit import correlation
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tqr_gateway.shutdown import Drain

log = logging.getLogger("tqr_gateway.access")

HTTP_REQUESTS = Counter("tqr_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
HTTP_DURATION = Histogram(
    "tqr_http_request_duration_seconds", "Time to answer an HTTP request", ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class RequestContext:
    def __init__(self, app: ASGIApp, drain: Drain | None = None) -> None:
        self.app = app
        self.drain = drain or Drain()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(correlation.HTTP_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = correlation.clean(incoming)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((b"x-request-id", request_id.encode()))
                if self.drain.active:
                    # The client's next request opens a new connection, which reaches a gateway
                    # that is not stopping; an idle keep-alive connection would be closed under it.
                    message["headers"].append((b"connection", b"close"))
            await send(message)

        with correlation.bound(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = _route_template(scope)
                elapsed = time.perf_counter() - started
                HTTP_REQUESTS.labels(route, scope["method"], str(status)).inc()
                HTTP_DURATION.labels(route, scope["method"]).observe(elapsed)
                # The path template, never the raw path: raw paths could carry identifiers.
                log.info("http", extra={"method": scope["method"], "route": route, "status": status,
                                        "ms": round(elapsed * 1000, 1)})


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
