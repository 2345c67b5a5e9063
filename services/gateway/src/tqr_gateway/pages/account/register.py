"""Registration (R-ID-1..7) in four short pages: the user agreement, the person's details, proving
the mobile (human check, then an SMS code) and finally the code with a password.

What was typed on earlier pages waits in the flow state (Redis, 30 minutes); the password is
asked on the last page only, so it is never stored anywhere but in the identity service's hash.
"""

from __future__ import annotations

import time
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from servicekit import errors, text

from tqr_gateway.clients.identity import IdentityClient, registration
from tqr_gateway.deps import Identity, set_session_cookie
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

DETAIL_FIELDS = ("document_type", "document_number", "name", "mobile", "email")
FINAL_FIELDS = ("sms_code", "password", "password_confirm")
ALTERNATIVE = "ALTERNATIVE"


def _flow(request: Request) -> FlowState:
    return FlowState(request, "register")


def _steps(request: Request) -> list[str]:
    return [t(request, f"account.register.step{n}") for n in range(1, 5)]


def _page(request: Request, template: str, step: int, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, f"account/{template}", {"steps": _steps(request), "step": step, **context},
                  status_code=status)


def _restart() -> RedirectResponse:
    return RedirectResponse("/account/register", status_code=303)


# Step 1: the user agreement (R-ID-7).
@router.get("/account/register")
async def agreement_page(request: Request, identity: Identity) -> Response:
    options = await identity.registration_options()
    return _page(request, "register_agreement.html", 1, {"agreement_version": options.agreement_version})


@router.post("/account/register")
async def accept_agreement(request: Request, identity: Identity) -> Response:
    form = await request.form()
    options = await identity.registration_options()
    if form.get("agree") != "1":
        found = FormErrors()
        found.add("agree", t(request, "account.register.must_agree"))
        return _page(request, "register_agreement.html", 1,
                     {"agreement_version": options.agreement_version, **found.context()}, 422)
    state = await _flow(request).load() or {}
    state.update(agreement_version=options.agreement_version, agreement_accepted_at=int(time.time()))
    response = RedirectResponse("/account/register/details", status_code=303)
    await _flow(request).save(state, response)
    return response


# Step 2: document, name and contact details (R-ID-1, R-ID-4).
async def _details_page(request: Request, identity: IdentityClient,
                        values: dict[str, Any], found: FormErrors | None = None,
                        status: int = 200) -> Response:
    context = {"values": values, "document_types": await document_type_options(request, identity),
               **(found or FormErrors()).context()}
    return _page(request, "register_details.html", 2, context, status)


@router.get("/account/register/details")
async def details_page(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("agreement_version"):
        return _restart()
    return await _details_page(request, identity, state)


@router.post("/account/register/details", dependencies=[Depends(RateLimit("register", limit=30, window_seconds=600))])
async def save_details(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("agreement_version"):
        return _restart()
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in DETAIL_FIELDS}
    for number in ("document_number", "mobile"):  # R-WIZ-11: the canonical form, shown back as such
        values[number] = text.normalise_number(values[number])
    found = await _check_details(request, identity, state, values)
    if found:
        return await _details_page(request, identity, values, found, 422)
    state.update(values)
    response = RedirectResponse("/account/register/verify-mobile", status_code=303)
    await _flow(request).save(state, response)
    return response


async def _check_details(request: Request, identity: IdentityClient,
                         state: dict[str, Any], values: dict[str, str]) -> FormErrors:
    """The identity service's own checks of these fields, asked now so that errors show on the page
    where the fields are: a registration without code and password is refused with every field
    problem at once, and only the problems of this page's fields are kept."""
    try:
        await identity.register(registration(
            values, agreement_version=state["agreement_version"], agreement_accepted=True))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        if isinstance(refusal, errors.InvalidInput):
            kept = [p for p in refusal.problems if p.field in DETAIL_FIELDS]
            return form_errors(request, errors.InvalidInput(kept)) if kept else FormErrors()
        return form_errors(request, refusal, fallback_field="document_number")
    return FormErrors()  # not reached with an empty code; nothing to report either way


# Step 3: the human check, then the code to the mobile (R-ID-5, R-ID-6).
async def _mobile_page(request: Request, identity: IdentityClient,
                       state: dict[str, Any], found: FormErrors | None = None,
                       status: int = 200, kind: str | None = None) -> Response:
    channel = ALTERNATIVE if request.query_params.get("channel") == "alternative" else "SMS"
    context = {"mobile": state.get("mobile", ""), "channel": channel,
               "check": await new_human_check(request, identity, kind), **(found or FormErrors()).context()}
    return _page(request, "register_mobile.html", 3, context, status)


@router.get("/account/register/verify-mobile")
async def mobile_page(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("mobile"):
        return _restart()
    return await _mobile_page(request, identity, state)


@router.post("/account/register/verify-mobile",
             dependencies=[Depends(RateLimit("verification-code", limit=10, window_seconds=600))])
async def send_code(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("mobile"):
        return _restart()
    form = await request.form()
    kind = "text" if form.get("hc_kind") == "text" else "slider"
    channel = ALTERNATIVE if form.get("channel") == ALTERNATIVE else "SMS"
    pass_token = await human_pass_from(request, identity, form)
    if not pass_token:
        found = FormErrors()
        human_check_failed(request, found, kind)
        return await _mobile_page(request, identity, state, found, 422, kind)
    try:
        sent = await identity.request_registration_code(
            pass_token=pass_token, mobile=state["mobile"], channel=channel, client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fields={"destination": "mobile"}, fallback_field="hc_answer")
        status = 429 if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else 422
        return await _mobile_page(request, identity, state, found, status, kind)
    state.update(channel=channel, hint=sent.destination_hint, sent_at=int(time.time()),
                 resend_after=sent.resend_after_seconds, expires_in=sent.expires_in_seconds)
    response = RedirectResponse("/account/register/finish", status_code=303)
    await _flow(request).save(state, response)
    return response


# Step 4: the code and the password (R-ID-3, R-ID-6), then the account.
def _wait_left(state: dict[str, Any]) -> int:
    return max(0, int(state.get("sent_at", 0)) + int(state.get("resend_after", 0)) - int(time.time()))


async def _finish_page(request: Request, identity: IdentityClient,
                       state: dict[str, Any], found: FormErrors | None = None,
                       status: int = 200, already_registered: bool = False, kept_code: str = "") -> Response:
    options = await identity.registration_options()
    context = {"hint": state.get("hint", ""), "channel": state.get("channel", "SMS"), "kept_code": kept_code,
               "wait_seconds": _wait_left(state), "expires_minutes": max(1, int(state.get("expires_in", 300)) // 60),
               "special": options.password_special_characters, "development": settings(request).development,
               "already_registered": already_registered, **(found or FormErrors()).context()}
    return _page(request, "register_finish.html", 4, context, status)


def _code_still_usable(typed: str, refusal: errors.ServiceError, found: FormErrors) -> str:
    """The code the person typed, to show again, when the refusal left it unused.

    The identity service checks every field before it tries the code, so a refusal of the
    password (or any other field problem) leaves the code live: blanking it would make the person
    fetch a new one for nothing. A refusal about the code itself (wrong, expired, used) or one
    that came after the code was taken (R-ID-2) keeps nothing; its message says what happened."""
    if "sms_code" in found.by_field or not isinstance(refusal, errors.InvalidInput):
        return ""
    return typed.strip()


@router.get("/account/register/finish")
async def finish_page(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("sent_at"):
        return _restart()
    return await _finish_page(request, identity, state)


@router.post("/account/register/finish", dependencies=[Depends(RateLimit("register", limit=30, window_seconds=600))])
async def register(request: Request, identity: Identity) -> Response:
    state = await _flow(request).load()
    if not state or not state.get("sent_at"):
        return _restart()
    form = await request.form()
    final = {name: str(form.get(name) or "") for name in FINAL_FIELDS}
    try:
        reply = await identity.register(registration(
            {name: state.get(name, "") for name in DETAIL_FIELDS}, sms_code=final["sms_code"].strip(),
            password=final["password"], password_confirm=final["password_confirm"],
            agreement_version=state["agreement_version"], agreement_accepted=True))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        found = form_errors(request, refusal, fallback_field="sms_code")
        if any(item["field"] in DETAIL_FIELDS for item in found.items):
            return await _details_page(request, identity, state, found, 422)
        return await _finish_page(request, identity, state, found, 409 if refusal.code == "R-ID-2" else 422,
                                  already_registered=refusal.code == "R-ID-2",
                                  kept_code=_code_still_usable(final["sms_code"], refusal, found))
    response = RedirectResponse("/account/login?registered=1&next=/account/real-name", status_code=303)
    token = getattr(reply, "session_token", "")
    if token:  # the contract may return a session with the account: then straight to verification
        response = RedirectResponse("/account/real-name?welcome=1", status_code=303)
        set_session_cookie(response, token, settings(request))
    await _flow(request).clear(response)
    return response
