"""The gateway's FastAPI application: the only public entry of the system.

``create_app`` builds everything from settings; nothing happens at import time. Channels to the
services and the Redis client of the rate limiter are opened in the lifespan and closed on shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from starlette.exceptions import HTTPException as StarletteHTTPException

from tqr_gateway import validation
from tqr_gateway.api import account as account_api
from tqr_gateway.api import applications as applications_api
from tqr_gateway.api import reference as reference_api
from tqr_gateway.api import staff as staff_api
from tqr_gateway.api.problems import install_problem_schemas
from tqr_gateway.api.shortcut import OperationShortcut
from tqr_gateway.clients import Clients
from tqr_gateway.clients.channels import Channels
from tqr_gateway.config import GatewaySettings
from tqr_gateway.deps import OTHER_KIND_REFUSAL, Refused, SignInRequired
from tqr_gateway.errors import (
    answer_for_rpc_error,
    fault_answer,
    field_problems,
    framework_answer,
    unavailable_answer,
)
from tqr_gateway.observability import RequestContext
from tqr_gateway.overload.limiter import ConcurrencyLimiter
from tqr_gateway.overload.middleware import Admission, AdmissionControl
from tqr_gateway.overload.waiting_room import NEW_PLACES_PER_ADDRESS, AdmissionPass, WaitingRoom
from tqr_gateway.pages import account, dev, portal, result_check, staff, wizard
from tqr_gateway.security.client_address import ForwardedClient, TrustedProxies
from tqr_gateway.security.limits import UPLOAD_BODY_LIMIT
from tqr_gateway.security.ratelimit import FixedWindowLimiter
from tqr_gateway.security.refusals import Refusal, refusal_response
from tqr_gateway.session import SessionMiddleware
from tqr_gateway.session_cache import SessionCache
from tqr_gateway.shutdown import Drain
from tqr_gateway.web.language import safe_local_path
from tqr_gateway.web.shell import install_web_shell

log = logging.getLogger(__name__)

# Paths that accept uploads (document photos) get a larger body limit than the default 1 MiB.
UPLOAD_PATHS = {
    "/account/real-name/manual-review": UPLOAD_BODY_LIMIT,
    "/account/support": UPLOAD_BODY_LIMIT,
    "/api/v1/account/manual-review": UPLOAD_BODY_LIMIT,
    "/api/v1/account/support-requests": UPLOAD_BODY_LIMIT,
}

# Routes are matched in this order: the wizard's API first, since a step is the commonest request of
# a peak and every router before it is tried in vain (the routers' paths do not overlap).
ROUTERS = [
    applications_api.router, reference_api.router, account_api.router, staff_api.router,
    account.router, wizard.router, portal.router, staff.router, dev.router, result_check.router,
]


def create_app(settings: GatewaySettings, channels: Channels | None = None, drain: Drain | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.channels = channels or Channels.open(settings)
        redis = Redis.from_url(settings.redis_url)
        app.state.redis = redis
        app.state.rate_limiter = FixedWindowLimiter(redis, prefix=f"{settings.redis_key_prefix}:rl:",
                                                    factor=settings.rate_limit_factor)
        app.state.session_cache = SessionCache(redis, seconds=settings.session_cache_seconds)
        app.state.clients = Clients.over(app.state.channels, app.state.session_cache.forget)
        if settings.admission_limit:
            app.state.admission = admission_for(settings, redis)
        yield
        await app.state.session_cache.close()
        await app.state.channels.close()
        await redis.aclose()

    docs = settings.serves_api_docs  # off in production unless GATEWAY_API_DOCS turns them on
    app = FastAPI(
        title="教师资格定期注册网上申报 API",
        version="1.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json" if docs else None,
        docs_url="/api/v1/docs" if docs else None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.actor_signer = settings.actor_signer()
    app.state.drain = drain = drain or Drain()
    # Outermost last: the request id wraps everything, so refusals by the shell are logged too.
    app.add_middleware(SessionMiddleware, secure=settings.secure_cookies)
    # HSTS with the secure cookies (always on in production): a browser that once reached the site
    # over https never tries plain http again, where a network in between could strip the https.
    # Browsers ignore the header over plain http, so http://localhost in development is unaffected.
    install_web_shell(app, secret_key=settings.secret_key, secure_cookies=settings.secure_cookies,
                      upload_limits=UPLOAD_PATHS, hsts=settings.secure_cookies)
    app.add_middleware(RequestContext, drain=drain)
    # Admission control outside all the rest, so refusing or queueing costs little (R-PEAK-1, overload.early).
    app.add_middleware(AdmissionControl)
    # Outermost of all: everything inside (limits, logs, the client id sent to identity) sees the real client.
    app.add_middleware(ForwardedClient, trusted=TrustedProxies.parse(settings.trusted_proxies))
    _install_error_handlers(app)

    # Three probes, three questions. /livez: does this process still answer (no dependency asked, so
    # no outage elsewhere can get the gateway restarted)? /healthz: may the Ingress send it requests?
    # Yes whenever it answers, also while a service or Redis is away: it then answers a clear 503
    # problem document itself, which beats the Ingress's bare error page. /readyz: does every
    # service answer SERVING (the startup probe and `make run` wait for it)? While the gateway
    # drains before stopping (shutdown.py), /healthz and /readyz say no: it still serves what comes,
    # but whatever balances over the gateways should send new requests to another one.
    @app.get("/healthz", include_in_schema=False)
    async def health(request: Request) -> Response:
        if request.app.state.drain.active:
            return _draining()
        return JSONResponse({"status": "ok"})

    @app.get("/livez", include_in_schema=False)
    async def liveness() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readiness(request: Request) -> Response:
        if request.app.state.drain.active:
            return _draining()
        states = await request.app.state.channels.readiness()
        ready = all(states.values())
        return JSONResponse({"ready": ready, "services": states}, status_code=200 if ready else 503)

    for router in ROUTERS:
        app.include_router(router)
    app.router.routes.insert(0, OperationShortcut(app, shortcut_routes()))
    install_problem_schemas(app)
    return app


def shortcut_routes() -> list[APIRoute]:
    """The routes of the operations ``api.shortcut`` answers (the wizard's JSON writes)."""
    return [route for route in applications_api.router.routes
            if isinstance(route, APIRoute) and route.endpoint in applications_api.SHORTCUT_ENDPOINTS]


def admission_for(settings: GatewaySettings, redis: Redis) -> Admission:
    """The concurrency limit, the priorities and the waiting room (tqr_gateway.overload)."""
    room = WaitingRoom(redis, prefix=settings.redis_key_prefix, refresh_seconds=settings.waiting_room_refresh_seconds,
                       new_places_per_address=NEW_PLACES_PER_ADDRESS * settings.rate_limit_factor)
    passes = AdmissionPass(settings.secret_key, valid_seconds=settings.waiting_room_pass_seconds)
    return Admission(ConcurrencyLimiter(settings.admission_limit), room, passes,
                     wait_seconds=settings.admission_wait_seconds, secure_cookies=settings.secure_cookies)


def _draining() -> Response:
    return JSONResponse({"ready": False, "draining": True}, status_code=503)


def _install_error_handlers(app: FastAPI) -> None:
    """Every refusal is a ``Refusal``: a problem document for programs, a page for people."""

    @app.exception_handler(grpc.aio.AioRpcError)
    async def on_rpc_error(request: Request, exc: grpc.aio.AioRpcError) -> Response:
        answer, refusal = answer_for_rpc_error(exc)
        return refusal_response(request, answer, request.app.state.refusal_renderer, field_problems(refusal))

    @app.exception_handler(RequestValidationError)
    async def on_invalid_input(request: Request, exc: RequestValidationError) -> Response:
        refusal, problems = validation.refusal_for(exc)
        return refusal_response(request, refusal, request.app.state.refusal_renderer, problems)

    @app.exception_handler(UnicodeEncodeError)
    async def on_unstorable_text(request: Request, exc: UnicodeEncodeError) -> Response:
        # Text with a lone UTF-16 surrogate ("\ud800") passes JSON and pydantic but cannot be
        # written into a request to a service; it fails before the call is sent, so nothing changed.
        refusal = Refusal(422, "INVALID_INPUT", "提交的内容含有无法识别的字符，请检查后重新输入",
                          "Some text contains characters that cannot be stored; please check it")
        return refusal_response(request, refusal, request.app.state.refusal_renderer)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        refusal = framework_answer(exc.status_code, str(exc.detail))
        response = refusal_response(request, refusal, request.app.state.refusal_renderer)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Refused)
    async def on_refused(request: Request, exc: Refused) -> Response:
        return refusal_response(request, exc.refusal, getattr(request.app.state, "refusal_renderer", None))

    @app.exception_handler(SignInRequired)
    async def on_sign_in_required(request: Request, exc: SignInRequired) -> Response:
        if request.url.path.startswith("/api/"):
            refusal = OTHER_KIND_REFUSAL if exc.signed_in else Refusal(
                401, "UNAUTHENTICATED", "请先登录", "Please sign in first")
            return refusal_response(request, refusal, request.app.state.refusal_renderer)
        target = "/staff/login" if exc.staff else "/account/login"
        here = safe_local_path(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"{target}?next={here}", status_code=303)

    # Redis holds the multi-page flows (registration, reset): while it is away those steps cannot go
    # on, which is an outage to wait out (503), not a fault (500). Nothing was written.
    @app.exception_handler(redis_errors.ConnectionError)
    @app.exception_handler(redis_errors.TimeoutError)
    async def on_redis_away(request: Request, exc: Exception) -> Response:
        log.warning("redis unavailable: %s", type(exc).__name__)
        return refusal_response(request, unavailable_answer(), request.app.state.refusal_renderer)

    @app.exception_handler(Exception)
    async def on_fault(request: Request, exc: Exception) -> Response:
        log.exception("unhandled fault")
        return refusal_response(request, fault_answer(), request.app.state.refusal_renderer)
