"""The Jinja2 environment of the web pages and the one function routes call to render a page.

Templates see, besides what a route passes: ``t("key", **params)`` bound to the request's
language, ``lang`` / ``html_lang``, ``link(path, **query)``, ``static_url(name)``, ``links`` (the
site's main paths), ``csrf_field()`` / ``csrf_token()``, and the filters ``date``, ``datetime``
and ``mask``. Macros live in ``components/*.html``; import them ``with context`` so that their
texts follow the page's language.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse

from tqr_gateway import vocabulary
from tqr_gateway.security.csrf import CSRF_FIELD, csrf_token_of
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import format_date, format_datetime, mask_personal
from tqr_gateway.web.language import DEFAULT_LANGUAGE, HTML_LANG, language_of, safe_local_path

# Paths the layout links to. The app overrides the ones its own routes serve, for example
# ``create_environment(links={"login": "/account/login"})``.
DEFAULT_LINKS: dict[str, str] = {
    "home": "/",
    "guide": "/help/guide",
    "process": "/help/process",
    "usage": "/help/usage",
    "faq": "/help/faq",
    "privacy": "/privacy",
    "accessibility": "/accessibility",
    "register": "/account/register",
    "login": "/account/login",
    "logout": "/account/logout",
    "account": "/account",
    "portal": "/portal",
    "staff": "/staff",
}
STATIC_PREFIX = "/static"


def _lang(ctx: Context) -> str:
    lang = ctx.get("lang")
    return lang if isinstance(lang, str) else DEFAULT_LANGUAGE


@pass_context
def _t(ctx: Context, key: str, **params: Any) -> str:
    return translate(_lang(ctx), key, **params)


@pass_context
def _date_filter(ctx: Context, value: Any) -> str:
    return format_date(value, _lang(ctx))


@pass_context
def _datetime_filter(ctx: Context, value: Any) -> str:
    return format_datetime(value, _lang(ctx))


@pass_context
def _csrf_token(ctx: Context) -> str:
    request = ctx.get("request")
    return csrf_token_of(request) if isinstance(request, HTTPConnection) else ""


@pass_context
def _csrf_field(ctx: Context) -> Markup:
    token = _csrf_token(ctx)
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)


def link(path: str, **query: Any) -> str:
    """A local link with a query string; values that are None are left out. Anything that is not
    a path on this site becomes ``/`` so that a template can never emit an open redirect."""
    local = safe_local_path(path)
    pairs = [(k, str(v)) for k, v in query.items() if v is not None]
    return f"{local}?{urlencode(pairs)}" if pairs else local


@cache
def _static_version(name: str) -> str:
    data = resources.files("tqr_gateway.web").joinpath("static", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(name: str) -> str:
    """``/static/site.css?v=<content hash>``: static files are cached for a year, the hash makes a
    changed file a new URL."""
    return f"{STATIC_PREFIX}/{name}?v={_static_version(name)}"


def create_environment(*, links: Mapping[str, str] | None = None, auto_reload: bool = False) -> Environment:
    env = Environment(
        loader=PackageLoader("tqr_gateway.web", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=auto_reload,
    )
    env.globals.update(
        t=_t,
        link=link,
        static_url=static_url,
        links={**DEFAULT_LINKS, **(links or {})},
        csrf_field=_csrf_field,
        csrf_token=_csrf_token,
    )
    env.filters.update(date=_date_filter, datetime=_datetime_filter, mask=mask_personal,
                       gender_code=vocabulary.gender_code)
    return env


@cache
def default_environment() -> Environment:
    return create_environment()


def environment_of(connection: HTTPConnection) -> Environment:
    """The app's environment (``app.state.templates``) or a default one."""
    env = getattr(connection.app.state, "templates", None) if "app" in connection.scope else None
    return env if isinstance(env, Environment) else default_environment()


def page_context(connection: HTTPConnection) -> dict[str, Any]:
    """What the layout needs from the request: language, current path, the switch link, account."""
    lang = language_of(connection)
    other = "en" if lang == "zh" else "zh"
    query = connection.url.query
    current = connection.url.path + (f"?{query}" if query else "")
    state = connection.scope.get("state", {})
    return {
        "request": connection,
        "lang": lang,
        "html_lang": HTML_LANG[lang],
        "other_lang": other,
        "other_html_lang": HTML_LANG[other],
        "current_path": connection.url.path,
        "lang_switch_href": link(f"/lang/{other}", next=current),
        # Set by the app's session layer: any object or mapping with ``display_name`` and ``kind``.
        # Not called ``account``: account pages pass their own ``account`` (the identity service's
        # view), which would hide who is signed in from the header.
        "signed_in_as": state.get("account"),
        "session_expires_in": _session_expires_in(state.get("session_valid_until")),
    }


def _session_expires_in(valid_until: object) -> int | None:
    """Whole seconds until the signed-in session ends unless used again (set by the session layer);
    the layout's timeout warning counts down from it. None when nobody is signed in."""
    if not isinstance(valid_until, (int, float)) or valid_until <= 0:
        return None
    return max(0, int(valid_until - time.time()))


def render_page(connection: HTTPConnection, template: str, context: Mapping[str, Any] | None = None) -> str:
    env = environment_of(connection)
    return env.get_template(template).render({**page_context(connection), **(context or {})})


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the page context; ``errors`` in ``context`` (a list of
    ``{"field": id, "message": text}``) makes the title say "错误：" / "Error: "."""
    return HTMLResponse(render_page(request, template, context), status_code=status_code,
                        headers=dict(headers or {}))


__all__ = ["DEFAULT_LINKS", "create_environment", "environment_of", "link", "page_context",
           "render", "render_page", "static_url"]
