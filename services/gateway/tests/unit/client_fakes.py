"""What the in-process fakes of the gateway's clients share: a record of every call with the actor
it was made for, and refusals shaped as the real clients raise them.

A real client raises ``grpc.aio.AioRpcError`` carrying the service's Problem in the trailing
metadata (``servicekit.rpc.errors``); ``refused`` builds exactly that, so the gateway's own error
mapping (pages' field errors, the API's problem documents) runs as in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import grpc
from servicekit import errors
from servicekit.rpc.actor import ACTOR_METADATA_KEY
from servicekit.rpc.errors import PROBLEM_METADATA_KEY, status_of, to_problem
from servicekit.rpc.text_guard import refuse_unsafe_text
from tqr.common.v1.actor_pb2 import Actor


def refused(error: errors.ServiceError) -> grpc.aio.AioRpcError:
    """The error a client raises when its service refused with ``error``."""
    trailing = grpc.aio.Metadata((PROBLEM_METADATA_KEY, to_problem(error).SerializeToString()))
    return grpc.aio.AioRpcError(status_of(error), grpc.aio.Metadata(), trailing, details=error.message_en)


def guard_text(request: Any) -> None:
    """What every service's server does before a handler runs: refuse text fields carrying NUL,
    bidi overrides and the like (``servicekit.rpc.text_guard``)."""
    try:
        refuse_unsafe_text(request)
    except errors.InvalidInput as unsafe:
        raise refused(unsafe) from None


def actor_in(metadata: Any) -> Actor | None:
    """The actor the gateway signed into a call's metadata (``deps.actor_metadata``)."""
    for key, value in metadata or ():
        if key == ACTOR_METADATA_KEY:
            actor = Actor()
            actor.ParseFromString(value)
            return actor
    return None


@dataclass
class Recorder:
    """Every call as (method, arguments, actor); ``fail[method]`` makes that method refuse."""

    calls: list[tuple[str, Any, Actor | None]] = field(default_factory=list)
    fail: dict[str, errors.ServiceError] = field(default_factory=dict)

    def record(self, method: str, metadata: Any = None, **arguments: Any) -> None:
        self.calls.append((method, SimpleNamespace(**arguments), actor_in(metadata)))
        if method in self.fail:
            raise refused(self.fail[method])

    def record_request(self, method: str, request: Any, metadata: Any = None) -> None:
        """For a method that takes one request object (or dict): that object is the record."""
        self.calls.append((method, request, actor_in(metadata)))
        if method in self.fail:
            raise refused(self.fail[method])

    def requests(self, method: str) -> list[Any]:
        """The arguments of each call of ``method``, as attributes."""
        return [arguments for name, arguments, _ in self.calls if name == method]
