"""R-PUB-1: 注册结果查询, the public registration result check (no sign-in). Schools verify a
teacher with the certificate number and name; the answer is the result and its date, nothing else.

A human check (identity's, as on the registration page) comes before every query, and each client
address may ask a few times in a window (Redis, like the gateway's other limits), so the page
cannot be used to walk through certificate numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from google.protobuf.timestamp_pb2 import Timestamp
from tqr.application.v1 import public_pb2 as pb

from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import Applications, Identity
from tqr_gateway.pages.account.common import (
    FormErrors,
    form_errors,
    human_check_failed,
    human_pass_from,
    new_human_check,
    refusal_of,
)
from tqr_gateway.security.ratelimit import RateLimit
from tqr_gateway.web.templating import render

router = APIRouter(include_in_schema=False)

PATH = "/result-check"
FIELDS = ("certificate_number", "name")
LIMIT = RateLimit("result-check", limit=10, window_seconds=600)
RESULT_KEYS = {
    pb.REGISTRATION_RESULT_REGISTERED: "REGISTERED",
    pb.REGISTRATION_RESULT_DEFERRED: "DEFERRED",
    pb.REGISTRATION_RESULT_REJECTED: "REJECTED",
}


async def result_page(request: Request, identity: IdentityClient, values: dict[str, str] | None = None,
                      found: FormErrors | None = None, answer: dict[str, Any] | None = None, status: int = 200,
                      kind: str | None = None) -> Response:
    context: dict[str, Any] = {
        "values": values or {}, "check": await new_human_check(request, identity, kind), "action": PATH,
        "answer": answer, **(found or FormErrors()).context(),
    }
    return render(request, "public/result_check.html", context, status_code=status)


def answer_of(reply: pb.CheckRegistrationResultResponse) -> dict[str, Any]:
    """What the page shows: the result's key and the decision's time, or ``found`` False."""
    key = RESULT_KEYS.get(reply.result)
    if key is None:
        return {"found": False}
    return {"found": True, "result": key, "decided_at": _when(reply.decided_at)}


def _when(ts: Timestamp) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if ts.seconds or ts.nanos else None


@router.get(PATH)
async def show(request: Request, identity: Identity) -> Response:
    return await result_page(request, identity)


@router.post(PATH, dependencies=[Depends(LIMIT)])
async def check(request: Request, identity: Identity, applications: Applications) -> Response:
    form = await request.form()
    values = {name: str(form.get(name) or "").strip() for name in FIELDS}
    kind = "text" if form.get("hc_kind") == "text" else "slider"
    found = FormErrors()
    if not await human_pass_from(request, identity, form):
        human_check_failed(request, found, kind)
        return await result_page(request, identity, values, found, status=422, kind=kind)
    try:
        reply = await applications.check_registration_result(values["certificate_number"], values["name"])
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fallback_field="certificate_number")
        return await result_page(request, identity, values, found, status=422, kind=kind)
    return await result_page(request, identity, values, answer=answer_of(reply), kind=kind)
