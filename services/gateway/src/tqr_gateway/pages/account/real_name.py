"""Real-name verification (R-ID-9): the status, the check itself (optionally with a corrected name,
R-ID-10), the two remedies after a failure, and the manual review with photos of the document."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import Response
from servicekit import errors
from servicekit.rpc.errors import from_rpc_error
from starlette.datastructures import UploadFile

from tqr_gateway.clients.identity import IdentityClient, Photo
from tqr_gateway.deps import Applicant, Identity, actor_metadata
from tqr_gateway.flows.photos import MAX_PHOTO_BYTES, photo_type
from tqr_gateway.pages.account.common import FormErrors, form_errors, refusal_of, t, text_of
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()

PHOTO_SIDES = ("photo_front", "photo_back")


async def read_photos(request: Request, form: Any, sides: tuple[str, ...], required: tuple[str, ...],
                      found: FormErrors) -> list[Photo]:
    """The uploaded photos, type- and size-checked here so a wrong file is refused before it travels."""
    photos: list[Photo] = []
    for side in sides:
        upload = form.get(side)
        if not isinstance(upload, UploadFile) or not upload.filename:
            if side in required:
                found.add(side, t(request, f"account.photo.missing_{side}"))
            continue
        content = await upload.read(MAX_PHOTO_BYTES + 1)
        if len(content) > MAX_PHOTO_BYTES:
            found.add(side, t(request, "account.photo.too_large", mb=MAX_PHOTO_BYTES // (1024 * 1024)))
        elif not photo_type(content):
            found.add(side, t(request, "account.photo.wrong_type"))
        else:
            extension = "png" if photo_type(content) == "image/png" else "jpg"
            photos.append(Photo(f"{side}.{extension}", content))  # the person's file name is not kept
    return photos


async def _status_page(request: Request, identity: IdentityClient,
                       session: SessionInfo, extra: dict[str, Any] | None = None,
                       status: int = 200) -> Response:
    account = await identity.get_account(actor_metadata(session))
    context = {"account": account, "welcome": request.query_params.get("welcome") == "1", **(extra or {})}
    return render(request, "account/real_name.html", context, status_code=status)


@router.get("/account/real-name")
async def status_page(request: Request, identity: Identity, session: Applicant) -> Response:
    return await _status_page(request, identity, session)


@router.post("/account/real-name/verify")
async def verify(request: Request, identity: Identity, session: Applicant) -> Response:
    form = await request.form()
    corrected = str(form.get("corrected_name") or "").strip()
    try:
        outcome = await identity.verify_real_name(actor_metadata(session), corrected)
    except grpc.aio.AioRpcError as exc:
        refusal = from_rpc_error(exc)
        if isinstance(refusal, errors.DependencyUnavailable):  # the authority did not answer: try later
            found = FormErrors()
            found.add("verify", text_of(request, refusal))
            return await _status_page(request, identity, session, found.context(), 503)
        found = form_errors(request, refusal_of(exc), fields={"corrected_name": "corrected_name"},
                            fallback_field="verify")
        return await _status_page(request, identity, session, {**found.context(), "corrected_name": corrected}, 422)
    if outcome.verified:
        return render(request, "account/real_name_verified.html", {"name": outcome.name})
    message = outcome.message_en if language_of(request) == "en" else outcome.message_zh
    return await _status_page(request, identity, session, {"failure": message or t(request, "account.real_name.failed"),
                                                 "corrected_name": corrected})


@router.get("/account/real-name/manual-review")
async def manual_review_page(request: Request, identity: Identity, session: Applicant) -> Response:
    account = await identity.get_account(actor_metadata(session))
    return render(request, "account/manual_review.html", {"account": account})


@router.post("/account/real-name/manual-review")
async def request_manual_review(request: Request, identity: Identity, session: Applicant) -> Response:
    form = await request.form()
    found = FormErrors()
    photos = await read_photos(request, form, PHOTO_SIDES, PHOTO_SIDES, found)
    note = str(form.get("note") or "").strip()[:500]
    if not found:
        try:
            case = await identity.request_manual_review(actor_metadata(session), photos, note)
        except grpc.aio.AioRpcError as exc:
            found = form_errors(request, refusal_of(exc), fields={"photos": "photo_front"},
                                fallback_field="photo_front")
        else:
            return render(request, "account/manual_review_sent.html", {"case": case})
    account = await identity.get_account(actor_metadata(session))
    return render(request, "account/manual_review.html", {"account": account, "note": note, **found.context()},
                  status_code=422)
