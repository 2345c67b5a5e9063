"""A staff member's first sign-in, and the one after an administrator's reset (R-STAFF-5): the
username and the one-time setup code, then a new password and the authenticator (a QR code of the
``otpauth://`` URI, drawn here as SVG, with the secret to type instead), then the recovery codes,
shown once. The identity service checks everything; this page only carries the steps."""

from __future__ import annotations

import io
from typing import Any

import grpc
import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup
from servicekit import errors

from tqr_gateway.deps import Identity, set_session_cookie
from tqr_gateway.pages.account.common import FormErrors, client_id, form_errors, refusal_of, settings, t
from tqr_gateway.pages.account.sign_in import end_previous_session
from tqr_gateway.security.ratelimit import RateLimit
from tqr_gateway.web.templating import render

router = APIRouter()
LIMIT = Depends(RateLimit("staff-login", limit=20, window_seconds=300))


def qr_svg(uri: str, label: str) -> Markup:
    """The URI as an inline SVG an authenticator app scans; ``label`` names it for screen readers."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False, svgns=True,
                                    title=label, svgclass="staff-qr", lineclass=None, omitsize=False)
    svg = out.getvalue().decode()
    # segno writes the SVG itself (escaping the title); the label is escaped here.
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1))  # noqa: S704


def _start_page(request: Request, values: dict[str, str], found: FormErrors | None = None,
                status: int = 200) -> Response:
    return render(request, "account/staff_enrol.html", {"values": values, **(found or FormErrors()).context()},
                  status_code=status)


def _finish_page(request: Request, values: dict[str, str], found: FormErrors | None = None,
                 status: int = 200) -> Response:
    context: dict[str, Any] = {"values": values, **(found or FormErrors()).context()}
    if values.get("totp_uri"):
        context["qr"] = qr_svg(values["totp_uri"], t(request, "account.enrol.qr_label"))
    return render(request, "account/staff_enrol_finish.html", context, status_code=status)


@router.get("/staff/enrol")
async def enrol_page(request: Request) -> Response:
    return _start_page(request, {"username": request.query_params.get("username", "")})


@router.post("/staff/enrol", dependencies=[LIMIT])
async def start(request: Request, identity: Identity) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("username", "setup_code")}
    found = FormErrors()
    for name in ("username", "setup_code"):
        if not values[name]:
            found.add(name, t(request, f"account.enrol.missing_{name}"))
    if found:
        return _start_page(request, values, found, 422)
    try:
        started = await identity.start_staff_enrolment(username=values["username"], setup_code=values["setup_code"],
                                                       client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        if isinstance(refusal, errors.Unauthenticated):
            found.add("setup_code", t(request, "account.enrol.failed"))
            return _start_page(request, values, found, 401)
        status = 429 if isinstance(refusal, errors.TooManyRequests) else 422
        return _start_page(request, values, form_errors(request, refusal, fallback_field="setup_code"), status)
    return _finish_page(request, {"enrolment_token": started.enrolment_token, "totp_uri": started.totp_uri,
                                  "totp_secret": started.totp_secret})


@router.post("/staff/enrol/finish", dependencies=[LIMIT])
async def finish(request: Request, identity: Identity) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in ("enrolment_token", "totp_uri", "totp_secret")}
    password, confirm = str(form.get("password") or ""), str(form.get("password_confirm") or "")
    totp_code = str(form.get("totp_code") or "").strip()
    found = FormErrors()
    if not password:
        found.add("password", t(request, "account.error.password"))
    if not totp_code:
        found.add("totp_code", t(request, "account.staff.missing_totp_code"))
    if found:
        return _finish_page(request, values, found, 422)
    try:
        done = await identity.finish_staff_enrolment(
            enrolment_token=values["enrolment_token"], new_password=password, new_password_confirm=confirm,
            totp_code=totp_code, client_id=client_id(request))
    except grpc.aio.AioRpcError as exc:
        refusal = refusal_of(exc)
        status = 429 if isinstance(refusal, errors.TooManyRequests) else 422
        found = form_errors(request, refusal, fallback_field="totp_code",
                            fields={"new_password": "password", "new_password_confirm": "password_confirm",
                                    "password": "password", "password_confirm": "password_confirm"})
        if any(item["field"] == "enrolment_token" for item in found.items):
            return _start_page(request, {"username": ""}, found, 422)
        return _finish_page(request, values, found, status)
    await end_previous_session(request, identity)
    response = render(request, "account/staff_enrolled.html", {"codes": list(done.recovery_codes)},
                      headers={"Cache-Control": "no-store"})
    set_session_cookie(response, done.signed_in.session_token, settings(request))
    return response
