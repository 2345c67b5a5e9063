"""The correlation id of the request being handled, carried across await points.

It enters at the gateway (``X-Request-ID``), travels in gRPC metadata and event headers, and every
log line written while handling that request or event carries it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

METADATA_KEY = "x-correlation-id"
HTTP_HEADER = "X-Request-ID"

_current: ContextVar[str] = ContextVar("correlation_id", default="")


def current() -> str:
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex


def ensure() -> str:
    """The current id, or a new one bound to this context when there is none."""
    value = _current.get()
    if not value:
        value = new_id()
        _current.set(value)
    return value


def clean(candidate: str | None) -> str:
    """Accept an incoming id only when it is short and plain; else start a new one."""
    if candidate and len(candidate) <= 64 and all(c.isalnum() or c in "-_." for c in candidate):
        return candidate
    return new_id()


@contextmanager
def bound(value: str) -> Iterator[str]:
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
