"""R-ID-11: the support request of a person who cannot sign in (the registered mobile or email is
lost, so a password reset cannot reach them). Shown at /account/support to anyone not signed in.

The identity service answers the same way whether or not the document is registered, so this page
shows one receipt for every accepted request and never says whether an account exists.
"""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import Identity
from tqr_gateway.pages.account.common import (
    FormErrors,
    client_id,
    document_type_options,
    form_errors,
    human_check_failed,
    human_pass_from,
    new_human_check,
    refusal_of,
)
from tqr_gateway.pages.account.real_name import read_photos
from tqr_gateway.security.ratelimit import RateLimit
from tqr_gateway.web.templating import render

router = APIRouter()

ACTION = "/account/support/without-sign-in"
FIELDS = ("document_type", "document_number", "name", "requested_mobile", "requested_email", "explanation")
# The service keeps its own daily caps per client and per document; this stops floods earlier.
LIMIT = RateLimit("support-without-sign-in", limit=10, window_seconds=3600)


async def support_form(request: Request, identity: IdentityClient,
                       values: dict[str, str] | None = None, found: FormErrors | None = None,
                       status: int = 200, kind: str | None = None) -> Response:
    context: dict[str, Any] = {
        "values": values or {}, "document_types": await document_type_options(request, identity),
        "check": await new_human_check(request, identity, kind), "action": ACTION, **(found or FormErrors()).context(),
    }
    return render(request, "account/support_anonymous.html", context, status_code=status)


@router.post(ACTION, dependencies=[Depends(LIMIT)])
async def create_without_sign_in(request: Request, identity: Identity) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    kind = "text" if form.get("hc_kind") == "text" else "slider"
    found = FormErrors()
    photos = await read_photos(request, form, ("photo",), ("photo",), found)
    pass_token = await human_pass_from(request, identity, form)
    if not pass_token:
        human_check_failed(request, found, kind)
    if found:
        return await support_form(request, identity, values, found, 422, kind)
    try:
        receipt = await identity.create_support_request_without_sign_in(
            client_id=client_id(request), pass_token=pass_token, photos=photos, **values)
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fields={"photos": "photo", "kind": "requested_mobile"},
                            fallback_field="document_number")
        status = 429 if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED else 422
        return await support_form(request, identity, values, found, status, kind)
    return render(request, "account/support_anonymous_sent.html", {"receipt": receipt})
