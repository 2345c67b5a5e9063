"""Errors a handler raises to refuse a request.

Each carries a stable code (for example a business-rule id such as ``R-WIZ-3``) and a message in
Chinese and English, so that every layer up to the web page can show the person what to do.
The gRPC layer maps these classes to status codes in one table (``servicekit.grpc.errors``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field; ``field`` is the name the client sent."""

    field: str
    code: str
    message_zh: str
    message_en: str


class ServiceError(Exception):
    """Base of every refusal; never raised directly."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


class RuleViolation(ServiceError):
    """The request is well formed but a business rule refuses it (state, window, duplicate...)."""


class InvalidInput(ServiceError):
    """One or more fields are malformed or missing; nothing was changed."""

    def __init__(
        self,
        problems: list[FieldProblem],
        code: str = "INVALID_INPUT",
        message_zh: str = "提交的信息有误，请按提示修改",
        message_en: str = "Some answers need correcting",
    ) -> None:
        super().__init__(code, message_zh, message_en)
        self.problems = list(problems)


class NotFound(ServiceError):
    """The resource does not exist, or the caller may not know that it exists."""

    def __init__(self, code: str = "NOT_FOUND", message_zh: str = "未找到", message_en: str = "Not found"):
        super().__init__(code, message_zh, message_en)


class PermissionDenied(ServiceError):
    """The caller is known but their role or organisation does not allow this action."""


class Unauthenticated(ServiceError):
    """The caller did not prove who they are (no session, expired session, wrong credentials)."""


class Conflict(ServiceError):
    """A concurrent change won; the caller may reload and try again."""


class TooManyRequests(ServiceError):
    """A rate limit or throttle refused the request; ``retry_after`` says when to try again."""

    def __init__(self, code: str, message_zh: str, message_en: str, retry_after: int) -> None:
        super().__init__(code, message_zh, message_en)
        self.retry_after = retry_after


class DependencyUnavailable(ServiceError):
    """A provider or another service did not answer; nothing was recorded, try again later."""
