"""Passwords: forgotten (R-ID-11: a code to the registered mobile or email, then a new password)
and changed while signed in (R-ID-3); either way other sessions end (R-ID-12)."""

from __future__ import annotations

import time
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from servicekit import text

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import Applicant, Identity, actor_metadata, clear_session_cookie
from tqr_gateway.pages.account.common import (
    FlowState,
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
from tqr_gateway.web.templating import render

router = APIRouter()

RESET_CHANNELS = ("SMS", "EMAIL")


def _flow(request: Request) -> FlowState:
    return FlowState(request, "reset")


async def _special(request: Request, identity: IdentityClient) -> str:
    return (await identity.registration_options()).password_special_characters


async def _forgot_page(request: Request, identity: IdentityClient,
                       values: dict[str, Any], found: FormErrors | None = None,
                       status: int = 200, kind: str | None = None) -> Response:
    context = {"values": values, "document_types": await document_type_options(request, identity),
               "check": await new_human_check(request, identity, kind), **(found or FormErrors()).context()}
    return render(request, "account/password_forgot.html", context, status_code=status)


@router.get("/account/password/forgot")
async def forgot_page(request: Request, identity: Identity) -> Response:
    return await _forgot_page(request, identity, {"channel": "SMS"})


@router.post("/account/password/forgot",
             dependencies=[Depends(RateLimit("password-reset", limit=10, window_seconds=600))])
async def request_reset(request: Request, identity: Identity) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("document_type", "document_number", "channel")}
    values["document_number"] = text.normalise_number(values["document_number"])  # R-WIZ-11
    kind = "text" if form.get("hc_kind") == "text" else "slider"
    found = FormErrors()
    if values["channel"] not in RESET_CHANNELS:
        found.add("channel", t(request, "account.password.choose_channel"))
    pass_token = await human_pass_from(request, identity, form)
    if not pass_token:
        human_check_failed(request, found, kind)
    if found:
        return await _forgot_page(request, identity, values, found, 422, kind)
    try:
        sent = await identity.request_password_reset(
            document_type=values["document_type"], document_number=values["document_number"],
            channel=values["channel"], pass_token=pass_token, client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        found = form_errors(request, refusal, fallback_field="document_number")
        status = 429 if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else 422
        return await _forgot_page(request, identity, values, found, status, kind)
    # R-ID-15: identity answers alike for any document and names no contact; the page says where a
    # code goes if the document is registered.
    state = {**values, "sent_at": int(time.time()), "resend_after": sent.resend_after_seconds,
             "expires_in": sent.expires_in_seconds}
    response = RedirectResponse("/account/password/reset", status_code=303)
    await _flow(request).save(state, response)
    return response


async def _reset_page(request: Request, identity: IdentityClient,
                      state: dict[str, Any], found: FormErrors | None = None,
                      status: int = 200) -> Response:
    wait = max(0, int(state.get("sent_at", 0)) + int(state.get("resend_after", 0)) - int(time.time()))
    context = {"channel": state.get("channel", "SMS"), "wait_seconds": wait,
               "expires_minutes": max(1, int(state.get("expires_in", 300)) // 60),
               "special": await _special(request, identity), "development": settings(request).development,
               **(found or FormErrors()).context()}
    return render(request, "account/password_reset.html", context, status_code=status)


@router.get("/account/password/reset")
async def reset_page(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state:
        return RedirectResponse("/account/password/forgot", status_code=303)
    return await _reset_page(request, identity, state)


@router.post("/account/password/reset",
             dependencies=[Depends(RateLimit("password-reset", limit=10, window_seconds=600))])
async def reset(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state:
        return RedirectResponse("/account/password/forgot", status_code=303)
    form = await request.form()
    try:
        ended = await identity.reset_password(
            document_type=state["document_type"], document_number=state["document_number"], channel=state["channel"],
            code=str(form.get("code") or "").strip(), password=str(form.get("password") or ""),
            password_confirm=str(form.get("password_confirm") or ""), client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fallback_field="code")
        return await _reset_page(request, identity, state, found, 422)
    response = render(request, "account/password_done.html", {"reset": True, "ended": ended})
    await _flow(request).clear(response)
    clear_session_cookie(response, settings(request))  # every session ended, this browser's too
    return response


@router.get("/account/password")
async def change_page(request: Request, identity: Identity, session: Applicant) -> Response:
    return render(request, "account/password_change.html", {"special": await _special(request, identity)})


@router.post("/account/password")
async def change(request: Request, identity: Identity, session: Applicant) -> Response:
    form = await request.form()
    try:
        ended = await identity.change_password(
            actor_metadata(session), current_password=str(form.get("current_password") or ""),
            password=str(form.get("password") or ""), password_confirm=str(form.get("password_confirm") or ""),
            session_token=session.token)
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fallback_field="current_password")
        return render(request, "account/password_change.html",
                      {"special": await _special(request, identity), **found.context()}, status_code=422)
    return render(request, "account/password_done.html", {"reset": False, "ended": ended})
