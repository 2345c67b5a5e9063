"""Typed call to the application service for the staff dashboard (issue 20 part 8).

The caller's Actor travels in ``metadata``; the service scopes the figures to its organisation.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from tqr.application.v1 import dashboard_pb2 as pb
from tqr.application.v1 import dashboard_pb2_grpc as rpc

Metadata = Sequence[tuple[str, str | bytes]]


class StaffDashboardClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.StaffDashboardServiceStub(channel)

    async def get(self, *, metadata: Metadata, days: int = 0) -> pb.GetStaffDashboardResponse:
        return await self._stub.GetStaffDashboard(  # type: ignore[no-any-return]
            pb.GetStaffDashboardRequest(days=days), metadata=metadata)
