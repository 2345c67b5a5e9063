"""The one mapping between refusals (``servicekit.errors``) and gRPC status codes.

A refusal travels as the status code plus a ``Problem`` in the trailing metadata, so the caller
gets the rule id and both messages back exactly, field problems included.
"""

from __future__ import annotations

from typing import Any

import grpc
from tqr.common.v1.envelope_pb2 import FieldProblem as FieldProblemPb
from tqr.common.v1.envelope_pb2 import Problem

from servicekit import errors

PROBLEM_METADATA_KEY = "tqr-problem-bin"

STATUS_OF: dict[type[errors.ServiceError], grpc.StatusCode] = {
    errors.InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    errors.RuleViolation: grpc.StatusCode.FAILED_PRECONDITION,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.Conflict: grpc.StatusCode.ABORTED,
    errors.TooManyRequests: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.DependencyUnavailable: grpc.StatusCode.UNAVAILABLE,
}
_ERROR_OF = {code: cls for cls, code in STATUS_OF.items()}


def status_of(error: errors.ServiceError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]  # type: ignore[index]
    return grpc.StatusCode.INTERNAL


def to_problem(error: errors.ServiceError) -> Problem:
    problem = Problem(code=error.code, message_zh=error.message_zh, message_en=error.message_en)
    if isinstance(error, errors.InvalidInput):
        problem.fields.extend(
            FieldProblemPb(field=p.field, code=p.code, message_zh=p.message_zh, message_en=p.message_en)
            for p in error.problems
        )
    if isinstance(error, errors.TooManyRequests):
        problem.retry_after_seconds = max(0, int(error.retry_after))
    return problem


def from_rpc_error(error: grpc.aio.AioRpcError) -> errors.ServiceError | None:
    """Rebuild the refusal a service sent; None when the status carried no Problem (a fault)."""
    trailing: Any = error.trailing_metadata() or ()
    for key, value in trailing:
        if key == PROBLEM_METADATA_KEY and isinstance(value, bytes):
            problem = Problem()
            problem.ParseFromString(value)
            return _error_from_problem(error.code(), problem)
    return None


def _error_from_problem(code: grpc.StatusCode, problem: Problem) -> errors.ServiceError:
    cls = _ERROR_OF.get(code, errors.ServiceError)
    if cls is errors.InvalidInput:
        return errors.InvalidInput(
            [errors.FieldProblem(f.field, f.code, f.message_zh, f.message_en) for f in problem.fields],
            problem.code, problem.message_zh, problem.message_en,
        )
    if cls is errors.TooManyRequests:
        return errors.TooManyRequests(
            problem.code, problem.message_zh, problem.message_en, problem.retry_after_seconds
        )
    if cls is errors.NotFound:
        return errors.NotFound(problem.code, problem.message_zh, problem.message_en)
    return cls(problem.code, problem.message_zh, problem.message_en)
