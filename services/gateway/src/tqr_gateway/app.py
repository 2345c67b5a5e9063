"""The gateway's FastAPI application: the only public entry of the system.

``create_app`` builds everything from settings; nothing happens at import time. Channels to the
services are opened in the lifespan and closed on shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from tqr_gateway.clients.channels import Channels
from tqr_gateway.config import GatewaySettings
from tqr_gateway.errors import answer_for_rpc_error, fault_answer, problem_document
from tqr_gateway.observability import RequestContext

log = logging.getLogger(__name__)


def request_language(request: Request) -> str:
    return "en" if request.cookies.get("lang") == "en" else "zh"


def create_app(settings: GatewaySettings, channels: Channels | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.channels = channels or Channels.open(settings)
        yield
        await app.state.channels.close()

    app = FastAPI(
        title="教师资格定期注册网上申报 API",
        version="1.0",
        lifespan=lifespan,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.add_middleware(RequestContext)

    @app.exception_handler(grpc.aio.AioRpcError)
    async def on_rpc_error(request: Request, exc: grpc.aio.AioRpcError) -> Response:
        answer, refusal = answer_for_rpc_error(exc)
        headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after else {}
        doc = problem_document(answer, request_language(request), refusal)
        return JSONResponse(doc, status_code=answer.status, headers=headers,
                            media_type="application/problem+json")

    @app.exception_handler(Exception)
    async def on_fault(request: Request, exc: Exception) -> Response:
        log.exception("unhandled fault")
        doc = problem_document(fault_answer(), request_language(request))
        return JSONResponse(doc, status_code=500, media_type="application/problem+json")

    @app.get("/healthz", include_in_schema=False)
    async def liveness() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readiness(request: Request) -> Response:
        states = await request.app.state.channels.readiness()
        ready = all(states.values())
        return JSONResponse({"ready": ready, "services": states}, status_code=200 if ready else 503)

    from tqr_gateway.api import reference

    app.include_router(reference.router)
    return app
