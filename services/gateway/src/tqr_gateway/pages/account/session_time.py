"""Staying signed in: the layout's timeout warning (issue 19 item 21) asks here to extend the session.

The session ends after identity's idle time without a request (R-ID-12). A page a person spends long
on (step 7 of the wizard) makes no requests while they type, so two minutes before the end the page
warns and offers "继续使用"; that button posts here (CSRF-checked like every post). Identity is asked
directly, not the gateway's short memory of sessions: only a call that reaches identity restarts the
session's idle time there.
"""

from __future__ import annotations

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from tqr_gateway.deps import Identity, optional_session

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store"}


@router.post("/account/session/keep-alive")
async def keep_alive(request: Request, identity: Identity) -> JSONResponse:
    """``{"signed_in": true, "expires_in": seconds}``; 401 ``{"signed_in": false}`` when the session
    has ended already (the page then goes to the signed-out page)."""
    session = optional_session(request)
    if session is None:
        return JSONResponse({"signed_in": False}, status_code=401, headers=NO_STORE)
    try:
        reply = await identity.resolve_session(session.token)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND):
            return JSONResponse({"signed_in": False}, status_code=401, headers=NO_STORE)
        return JSONResponse({"signed_in": True, "retry": True}, status_code=503, headers=NO_STORE)
    # The next page resolves the session afresh, so it counts down from the new end.
    request.app.state.session_cache.forget(session.token)
    return JSONResponse({"signed_in": True, "expires_in": int(reply.valid_for_seconds)}, headers=NO_STORE)
