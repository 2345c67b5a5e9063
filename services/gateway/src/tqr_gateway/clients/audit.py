"""Typed calls to the audit logs of the services that write one (R-STAFF-9): the application
service's (applications, plans, points, reference data) and identity's (staff administration,
reviews, support). Each service scopes the rows by the signed actor in ``metadata``."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from tqr.application.v1 import staff_pb2_grpc
from tqr.common.v1 import audit_pb2
from tqr.identity.v1 import identity_pb2_grpc

Metadata = Sequence[tuple[str, str | bytes]]
SOURCES = ("application", "identity")


class AuditClient:
    def __init__(self, application: grpc.aio.Channel, identity: grpc.aio.Channel) -> None:
        self._application = staff_pb2_grpc.StaffServiceStub(application)
        self._identity = identity_pb2_grpc.IdentityServiceStub(identity)

    async def search(self, source: str, query: audit_pb2.AuditQuery, *, metadata: Metadata) -> audit_pb2.AuditPage:
        if source == "application":
            return await self._application.SearchAuditLog(query, metadata=metadata)  # type: ignore[no-any-return]
        if source == "identity":
            return await self._identity.SearchStaffAudit(query, metadata=metadata)  # type: ignore[no-any-return]
        raise ValueError(f"no audit log at {source!r}")
