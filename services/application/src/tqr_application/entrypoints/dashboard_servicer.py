"""StaffDashboardService: the staff dashboard's figures (issue 20 part 8), scoped to the caller."""

from __future__ import annotations

import grpc
from tqr.application.v1 import dashboard_pb2 as pb
from tqr.application.v1 import dashboard_pb2_grpc as rpc

from tqr_application.entrypoints import mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import dashboard
from tqr_application.service_layer.context import ServiceContext


def _place(place: dashboard.Place) -> pb.PlaceFigures:
    return pb.PlaceFigures(
        authority_code=place.authority_code, authority_name=place.authority_name, point_code=place.point_code,
        point_name=place.point_name, total=place.total,
        counts=[pb.StatusCount(status=mappers.status_code(s), count=n) for s, n in place.counts.items()])


class StaffDashboardServicer(rpc.StaffDashboardServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def GetStaffDashboard(self, request: pb.GetStaffDashboardRequest,
                                context: grpc.aio.ServicerContext) -> pb.GetStaffDashboardResponse:
        found = await dashboard.dashboard(self.ctx, caller(context), request.days)
        return pb.GetStaffDashboardResponse(
            authorities=[_place(p) for p in found.authorities], points=[_place(p) for p in found.points],
            days=[pb.DayFigures(date=d.day.isoformat(), submitted=d.submitted, confirmed=d.confirmed)
                  for d in found.days],
            as_of=mappers.ts(found.as_of),
            slot_use=[pb.SlotUse(point_code=s.point_code, point_name=s.point_name, slots=s.slots,
                                 capacity=s.capacity, booked=s.booked) for s in found.slot_use])
