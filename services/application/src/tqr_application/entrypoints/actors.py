"""The caller from the gRPC metadata, as the domain's Actor (never from the request body)."""

from __future__ import annotations

import grpc
from servicekit.errors import PermissionDenied
from servicekit.rpc.actor import actor_of

from tqr_application.domain.roles import Actor, Role
from tqr_application.entrypoints.mappers import role_code


def caller(context: grpc.aio.ServicerContext) -> Actor:
    raw = actor_of(context)
    try:
        role = Role(role_code(raw.role))  # "" (unset or unknown) is refused below
        scoped = raw.organisation_code if role in (Role.AUTHORITY_ADMIN, Role.POINT_STAFF) else ""
        return Actor(role=role, subject_id=raw.subject_id, organisation_code=scoped)
    except ValueError as exc:
        raise PermissionDenied("R-STAFF-4", "您的账号不能使用此功能", "Your account cannot use this function") from exc
