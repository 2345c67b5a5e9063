"""One call that wires the web shell into the gateway app.

Middleware order, outermost first (Starlette runs the last added first):
``SecurityHeaders`` → ``BodySizeLimit`` → ``LanguageMiddleware`` → ``CsrfMiddleware`` → routes.
Headers wrap everything, including refusals; the size limit comes before CSRF because CSRF may
buffer a form body to read its token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.staticfiles import StaticFiles

from tqr_gateway.security.csrf import CsrfMiddleware
from tqr_gateway.security.headers import SWAGGER_UI_CSP, SecurityHeaders
from tqr_gateway.security.limits import DEFAULT_BODY_LIMIT, BodySizeLimit
from tqr_gateway.security.ratelimit import RateLimited, rate_limited_handler
from tqr_gateway.security.refusals import Refusal
from tqr_gateway.web.language import LanguageMiddleware, language_of
from tqr_gateway.web.routes import router
from tqr_gateway.web.templating import create_environment, render_page


def refusal_page(connection: HTTPConnection, refusal: Refusal) -> str:
    """Renders a security refusal inside the site's layout, in the person's language."""
    message = refusal.message(language_of(connection))
    return render_page(connection, "errors/refusal.html",
                       {"message": message, "status": refusal.status, "code": refusal.code})


def static_directory() -> Path:
    return Path(str(resources.files("tqr_gateway.web").joinpath("static")))


def install_web_shell(
    app: FastAPI,
    *,
    secret_key: str,
    secure_cookies: bool = True,
    links: Mapping[str, str] | None = None,
    upload_limits: Mapping[str, int] | None = None,
    default_body_limit: int = DEFAULT_BODY_LIMIT,
    csrf_exempt_prefixes: Sequence[str] = (),
    hsts: bool = False,
) -> None:
    """Templates, static files, help/landing/language routes, and the security middleware.

    ``secure_cookies=False`` only for plain-http development away from localhost (see csrf.py).
    ``upload_limits`` maps upload path prefixes to larger body limits (e.g. 8 MiB).
    """
    app.state.templates = create_environment(links=links)
    app.state.refusal_renderer = refusal_page
    app.mount("/static", StaticFiles(directory=static_directory()), name="static")
    app.include_router(router)
    app.add_exception_handler(RateLimited, rate_limited_handler)
    # Added innermost first.
    app.add_middleware(CsrfMiddleware, secret=secret_key, secure=secure_cookies,
                       exempt_prefixes=csrf_exempt_prefixes, renderer=refusal_page)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(BodySizeLimit, default_limit=default_body_limit, path_limits=upload_limits,
                       renderer=refusal_page)
    app.add_middleware(SecurityHeaders, csp_overrides={"/api/v1/docs": SWAGGER_UI_CSP}, hsts=hsts)
