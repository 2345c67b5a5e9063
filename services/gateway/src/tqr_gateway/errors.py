"""The one table from gRPC status to HTTP answer, and the problem document people and programs get.

A refusal from a service keeps its rule id and messages; a fault shows a plain apology and a
reference (the request id) — never a stack trace.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from servicekit import correlation, errors
from servicekit.rpc.errors import from_rpc_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    code: str
    message_zh: str
    message_en: str
    retry_after: int | None = None


STATUS_TABLE: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

_FAULTS: dict[int, tuple[str, str, str]] = {
    503: ("SERVICE_UNAVAILABLE", "系统暂时无法处理您的请求，请稍后再试。您填写的内容没有丢失。",
          "The service is briefly unavailable. Please try again shortly; nothing you entered was lost."),
    504: ("TIMEOUT", "系统响应超时，请稍后再试。", "The service took too long to answer. Please try again."),
    500: ("INTERNAL", "系统出现问题，我们已记录。请稍后再试。",
          "Something went wrong on our side and it has been logged. Please try again later."),
}


def answer_for_rpc_error(error: grpc.aio.AioRpcError) -> tuple[HttpAnswer, errors.ServiceError | None]:
    status = STATUS_TABLE.get(error.code(), 500)
    refusal = from_rpc_error(error)
    if refusal is not None and status < 500:
        retry = refusal.retry_after if isinstance(refusal, errors.TooManyRequests) else None
        return HttpAnswer(status, refusal.code, refusal.message_zh, refusal.message_en, retry), refusal
    if status < 500:  # a refusal without a problem document: still say something useful
        return HttpAnswer(status, error.code().name, "请求未能完成", "The request could not be completed"), None
    code, zh, en = _FAULTS.get(status, _FAULTS[500])
    log.error("service call failed", extra={"grpc_code": error.code().name, "details": error.details()})
    return HttpAnswer(status, code, zh, en, retry_after=5 if status == 503 else None), None


def fault_answer() -> HttpAnswer:
    code, zh, en = _FAULTS[500]
    return HttpAnswer(500, code, zh, en)


def problem_document(answer: HttpAnswer, lang: str, refusal: errors.ServiceError | None = None) -> dict[str, object]:
    """RFC 9457 problem details, with the rule id and the message in the person's language."""
    doc: dict[str, object] = {
        "type": "about:blank",
        "status": answer.status,
        "code": answer.code,
        "title": answer.message_zh if lang == "zh" else answer.message_en,
        "message_zh": answer.message_zh,
        "message_en": answer.message_en,
        "request_id": correlation.current(),
    }
    if isinstance(refusal, errors.InvalidInput):
        doc["errors"] = [
            {"field": p.field, "code": p.code, "message": p.message_zh if lang == "zh" else p.message_en,
             "message_zh": p.message_zh, "message_en": p.message_en}
            for p in refusal.problems
        ]
    if answer.retry_after:
        doc["retry_after"] = answer.retry_after
    return doc
