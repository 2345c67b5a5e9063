"""Signing in and out: applicants (R-ID-8, with the human check of R-ID-5), staff (username,
password and TOTP code), and sign-out that ends the session on the server (R-ID-12)."""

from __future__ import annotations

import math
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from servicekit import errors, text

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import Identity, clear_session_cookie, optional_session, set_session_cookie
from tqr_gateway.pages.account.common import (
    HUMAN_FIELD,
    FormErrors,
    client_id,
    document_type_options,
    form_errors,
    human_check_failed,
    human_pass_from,
    new_human_check,
    refusal_of,
    settings,
    t,
)
from tqr_gateway.security.ratelimit import RateLimit
from tqr_gateway.web.language import safe_local_path
from tqr_gateway.web.templating import render

router = APIRouter()

LOGIN_CAUSES = 5  # account.login.cause1..5: what can be wrong, never which one (R-ID-8)


def next_path(raw: object, default: str) -> str:
    path = safe_local_path(str(raw or ""), default)
    return default if path.startswith(("/account/login", "/staff/login", "/account/logout")) else path


async def end_previous_session(request: Request, identity: IdentityClient) -> None:
    """A new sign-in gets a new token; the one this browser held before ends on the server."""
    session = optional_session(request)
    if session is not None:
        try:
            await identity.sign_out(session.token)
        except grpc.aio.AioRpcError:
            pass  # the old session may already be gone; signing in must not fail because of it


async def _login_page(request: Request, identity: IdentityClient,
                      values: dict[str, Any], found: FormErrors | None = None,
                      status: int = 200, *, failed: bool = False, retry_after: int = 0,
                      kind: str | None = None) -> Response:
    context = {
        "values": values, "document_types": await document_type_options(request, identity),
        "check": await new_human_check(request, identity, kind), "failed": failed,
        "causes": [t(request, f"account.login.cause{n}") for n in range(1, LOGIN_CAUSES + 1)],
        "retry_minutes": math.ceil(retry_after / 60) if retry_after else 0,
        "next": next_path(values.get("next"), "/account"),
        "registered": request.query_params.get("registered") == "1",
        **(found or FormErrors()).context(),
    }
    return render(request, "account/login.html", context, status_code=status)


@router.get("/account/login")
async def login_page(request: Request, identity: Identity) -> Response:
    return await _login_page(request, identity, {"next": request.query_params.get("next", "")})


@router.post("/account/login", dependencies=[Depends(RateLimit("login", limit=20, window_seconds=300))])
async def login(request: Request, identity: Identity) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("document_type", "document_number", "next")}
    values["document_number"] = text.normalise_number(values["document_number"])  # R-WIZ-11
    kind = "text" if form.get("hc_kind") == "text" else "slider"
    password = str(form.get("password") or "")
    found = FormErrors()
    if not values["document_type"]:
        found.add("document_type", t(request, "account.error.document_type"))
    if not values["document_number"]:
        found.add("document_number", t(request, "account.error.document_number"))
    if not password:
        found.add("password", t(request, "account.error.password"))
    pass_token = await human_pass_from(request, identity, form)
    if not pass_token:
        human_check_failed(request, found, kind)
    if found:
        return await _login_page(request, identity, values, found, 422, kind=kind)
    try:
        signed = await identity.sign_in(
            document_type=values["document_type"], document_number=values["document_number"], password=password,
            pass_token=pass_token, client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        if isinstance(refusal, errors.TooManyRequests):
            found = form_errors(request, refusal, fallback_field="document_number")
            return await _login_page(request, identity, values, found, 429, retry_after=refusal.retry_after, kind=kind)
        if isinstance(refusal, errors.Unauthenticated):
            found.add("document_number", t(request, "account.login.failed"))
            return await _login_page(request, identity, values, found, 401, failed=True, kind=kind)
        found = form_errors(request, refusal, fallback_field=HUMAN_FIELD if refusal.code == "R-ID-5"
                            else "document_number")
        return await _login_page(request, identity, values, found, 422, kind=kind)
    await end_previous_session(request, identity)
    response = RedirectResponse(next_path(values["next"], "/account"), status_code=303)
    set_session_cookie(response, signed.session_token, settings(request))
    return response


@router.post("/account/logout")
async def logout(request: Request, identity: Identity) -> Response:
    session = optional_session(request)
    target = "/staff/login?signed_out=1" if session is not None and session.is_staff else "/account/signed-out"
    if request.query_params.get("timed_out") == "1":  # the timeout warning ran out (session_time.py)
        target += ("&" if "?" in target else "?") + "timed_out=1"
    if session is not None:
        await identity.sign_out(session.token)
    response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response, settings(request))
    return response


@router.get("/account/signed-out")
async def signed_out(request: Request) -> Response:
    return render(request, "account/signed_out.html", {"timed_out": request.query_params.get("timed_out") == "1"})


async def _staff_page(request: Request, values: dict[str, str], found: FormErrors | None = None,
                      status: int = 200, *, failed: bool = False) -> Response:
    context = {"values": values, "failed": failed, "next": next_path(values.get("next"), "/staff"),
               "signed_out": request.query_params.get("signed_out") == "1",
               "timed_out": request.query_params.get("timed_out") == "1", **(found or FormErrors()).context()}
    return render(request, "account/staff_login.html", context, status_code=status)


@router.get("/staff/login")
async def staff_login_page(request: Request) -> Response:
    return await _staff_page(request, {"next": request.query_params.get("next", "")})


@router.post("/staff/login", dependencies=[Depends(RateLimit("staff-login", limit=20, window_seconds=300))])
async def staff_login(request: Request, identity: Identity) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("username", "next")}
    password = str(form.get("password") or "")
    totp_code = str(form.get("totp_code") or "").strip()
    found = FormErrors()
    for field, value in (("username", values["username"]), ("password", password), ("totp_code", totp_code)):
        if not value:
            found.add(field, t(request, f"account.staff.missing_{field}"))
    if found:
        return await _staff_page(request, values, found, 422)
    try:
        signed = await identity.staff_sign_in(username=values["username"], password=password,
                                                       totp_code=totp_code, client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        if isinstance(refusal, errors.Unauthenticated):
            found.add("username", t(request, "account.login.failed"))
            return await _staff_page(request, values, found, 401, failed=True)
        status = 429 if isinstance(refusal, errors.TooManyRequests) else 422
        return await _staff_page(request, values, form_errors(request, refusal, fallback_field="username"), status)
    await end_previous_session(request, identity)
    response = RedirectResponse(next_path(values["next"], "/staff"), status_code=303)
    set_session_cookie(response, signed.session_token, settings(request))
    return response
