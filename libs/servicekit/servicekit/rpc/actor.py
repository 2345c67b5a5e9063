"""The caller's identity as it travels between services (metadata ``tqr-actor-bin``)."""

from __future__ import annotations

import grpc
from tqr.common.v1.actor_pb2 import Actor

from servicekit import errors

ACTOR_METADATA_KEY = "tqr-actor-bin"


def metadata_for(actor: Actor) -> tuple[tuple[str, bytes], ...]:
    return ((ACTOR_METADATA_KEY, actor.SerializeToString()),)


def actor_of(context: grpc.aio.ServicerContext) -> Actor:
    """The caller; raises Unauthenticated when the call carries none."""
    for key, value in context.invocation_metadata() or ():
        if key == ACTOR_METADATA_KEY and isinstance(value, bytes):
            actor = Actor()
            actor.ParseFromString(value)
            if actor.subject_id and actor.role:
                return actor
    raise errors.Unauthenticated("UNAUTHENTICATED", "请先登录", "Please sign in first")
