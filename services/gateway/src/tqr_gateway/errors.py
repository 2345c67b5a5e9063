"""The one table from gRPC status to HTTP answer, and the answers the framework gives on its own.

A refusal from a service keeps its rule id and messages; a fault shows a plain apology and a
reference (the request id) — never a stack trace. Either becomes a ``Refusal``: a problem document
for programs, a page for people (``security.refusals``).
"""

from __future__ import annotations

import logging

import grpc
from servicekit import errors
from servicekit.rpc.errors import from_rpc_error

from tqr_gateway.security.refusals import Refusal

log = logging.getLogger(__name__)

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

# What routing and body parsing answer by themselves (their own messages are English only).
MALFORMED_BODY = Refusal(400, "MALFORMED_BODY", "提交的内容无法读取（格式不正确），没有做任何更改。",
                         "What was sent could not be read (it is malformed), so nothing was changed.")
_FRAMEWORK: dict[int, Refusal] = {
    400: MALFORMED_BODY,
    404: Refusal(404, "NOT_FOUND", "您要找的页面或内容不存在。", "There is nothing at this address."),
    405: Refusal(405, "METHOD_NOT_ALLOWED", "这里不接受这种请求方式。", "This address does not accept this method."),
}


def answer_for_rpc_error(error: grpc.aio.AioRpcError) -> tuple[Refusal, errors.ServiceError | None]:
    status = STATUS_TABLE.get(error.code(), 500)
    refusal = from_rpc_error(error)
    if refusal is not None and status < 500:
        retry = refusal.retry_after if isinstance(refusal, errors.TooManyRequests) else None
        return Refusal(status, refusal.code, refusal.message_zh, refusal.message_en, retry), refusal
    if status < 500:  # a refusal without a problem document: still say something useful
        return Refusal(status, error.code().name, "请求未能完成", "The request could not be completed"), None
    code, zh, en = _FAULTS.get(status, _FAULTS[500])
    log.error("service call failed", extra={"grpc_code": error.code().name, "details": error.details()})
    return Refusal(status, code, zh, en, retry_after=5 if status == 503 else None), None


def field_problems(refusal: errors.ServiceError | None) -> list[errors.FieldProblem]:
    """The fields to correct that a service named (only an InvalidInput names any)."""
    return list(refusal.problems) if isinstance(refusal, errors.InvalidInput) else []


def fault_answer() -> Refusal:
    code, zh, en = _FAULTS[500]
    return Refusal(500, code, zh, en)


def unavailable_answer() -> Refusal:
    """Something the answer needs is out of reach (Redis; a service whose answer a route cannot do
    without): "try again shortly", as a service's UNAVAILABLE is answered."""
    code, zh, en = _FAULTS[503]
    return Refusal(503, code, zh, en, retry_after=5)


def framework_answer(status: int, detail: str) -> Refusal:
    """An HTTPException as a refusal: a detail written "中文 / English" is kept; the framework's own
    English-only details become a message in both languages."""
    zh, separator, en = detail.partition(" / ")
    if separator:
        return Refusal(status, f"HTTP_{status}", zh, en)
    return _FRAMEWORK.get(status) or Refusal(status, f"HTTP_{status}", detail or "请求未能完成",
                                             detail or "The request could not be completed")
