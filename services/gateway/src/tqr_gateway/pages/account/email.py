"""Changing the account's email (R-ID-14) in two short pages: the new address with the current
password, then the code sent to the new address. The old address is told by the identity service.

The new address waits between the two pages in the flow state (Redis, 30 minutes), as the
registration's details do; the password is sent on once and kept nowhere.
"""

from __future__ import annotations

import time
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import Applicant, Identity, actor_metadata
from tqr_gateway.pages.account.common import (
    FlowState,
    FormErrors,
    client_id,
    form_errors,
    refusal_of,
    settings,
)
from tqr_gateway.security.ratelimit import RateLimit
from tqr_gateway.web.templating import render

router = APIRouter()
EMAIL_CHANGE_LIMIT = Depends(RateLimit("email-change", limit=10, window_seconds=600))


def _flow(request: Request) -> FlowState:
    return FlowState(request, "email")


async def _change_page(request: Request, identity: IdentityClient,
                       session: Any, values: dict[str, str], found: FormErrors | None = None,
                       status: int = 200) -> Response:
    account = await identity.get_account(actor_metadata(session))
    return render(request, "account/email_change.html",
                  {"account": account, "values": values, **(found or FormErrors()).context()}, status_code=status)


@router.get("/account/email")
async def change_page(request: Request, identity: Identity, session: Applicant) -> Response:
    return await _change_page(request, identity, session, {})


@router.post("/account/email", dependencies=[EMAIL_CHANGE_LIMIT])
async def send_code(request: Request, identity: Identity, session: Applicant) -> Response:
    form = await request.form()
    new_email = str(form.get("new_email") or "").strip()
    try:
        sent = await identity.request_email_change(
            actor_metadata(session), new_email=new_email, current_password=str(form.get("current_password") or ""),
            client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fallback_field="new_email")
        status = 429 if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else 422
        return await _change_page(request, identity, session, {"new_email": new_email}, found, status)
    response = RedirectResponse("/account/email/confirm", status_code=303)
    await _flow(request).save({"new_email": new_email, "hint": sent.destination_hint, "sent_at": int(time.time()),
                               "expires_in": sent.expires_in_seconds}, response)
    return response


async def _confirm_page(request: Request, state: dict[str, Any], found: FormErrors | None = None,
                        status: int = 200) -> Response:
    context = {"hint": state.get("hint", ""), "expires_minutes": max(1, int(state.get("expires_in", 300)) // 60),
               "development": settings(request).development, **(found or FormErrors()).context()}
    return render(request, "account/email_confirm.html", context, status_code=status)


@router.get("/account/email/confirm")
async def confirm_page(request: Request, session: Applicant) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("new_email"):
        return RedirectResponse("/account/email", status_code=303)
    return await _confirm_page(request, state)


@router.post("/account/email/confirm", dependencies=[EMAIL_CHANGE_LIMIT])
async def confirm(request: Request, identity: Identity, session: Applicant) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("new_email"):
        return RedirectResponse("/account/email", status_code=303)
    form = await request.form()
    try:
        await identity.confirm_email_change(actor_metadata(session), new_email=state["new_email"],
                                                     code=str(form.get("code") or "").strip())
    except grpc.aio.AioRpcError as exc:
        return await _confirm_page(request, state, form_errors(request, refusal_of(exc), fallback_field="code"), 422)
    response = RedirectResponse("/account/profile?saved=email", status_code=303)
    await _flow(request).clear(response)
    return response
