"""AppointmentService: confirmation appointment slots (R-SLOT-1..3)."""

from __future__ import annotations

import grpc
from tqr.application.v1 import slots_pb2 as pb
from tqr.application.v1 import slots_pb2_grpc as rpc

from tqr_application.entrypoints import mappers
from tqr_application.entrypoints.actors import caller
from tqr_application.service_layer import slots
from tqr_application.service_layer.context import ServiceContext


class AppointmentServicer(rpc.AppointmentServiceServicer):
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    async def ListSlots(self, request: pb.ListSlotsRequest, context: grpc.aio.ServicerContext) -> pb.ListSlotsResponse:
        found, hours = await slots.list_slots(self.ctx, caller(context), list(request.point_codes),
                                              request.include_cancelled)
        return pb.ListSlotsResponse(slots=[mappers.appointment_slot(s) for s in found], cutoff_hours=hours)

    async def BookSlot(self, request: pb.BookSlotRequest, context: grpc.aio.ServicerContext) -> pb.BookSlotResponse:
        booking = await slots.book_for_application(self.ctx, caller(context), request.application_id,
                                                   request.slot_id)
        return pb.BookSlotResponse(booking=mappers.slot_booking(booking))

    async def PublishSlot(self, request: pb.PublishSlotRequest,
                          context: grpc.aio.ServicerContext) -> pb.PublishSlotResponse:
        slot = await slots.publish(self.ctx, caller(context), request.point_code.strip(), request.date,
                                   request.start_time, request.end_time, request.capacity)
        return pb.PublishSlotResponse(slot=mappers.appointment_slot(slot))

    async def CancelSlot(self, request: pb.CancelSlotRequest,
                         context: grpc.aio.ServicerContext) -> pb.CancelSlotResponse:
        slot, told = await slots.cancel(self.ctx, caller(context), request.slot_id, request.reason)
        return pb.CancelSlotResponse(slot=mappers.appointment_slot(slot), told=told)

    async def SetSlotCutoff(self, request: pb.SetSlotCutoffRequest,
                            context: grpc.aio.ServicerContext) -> pb.SetSlotCutoffResponse:
        hours = await slots.set_cutoff(self.ctx, caller(context), request.point_code.strip(), request.cutoff_hours)
        return pb.SetSlotCutoffResponse(cutoff_hours=hours)

    async def ListSlotDay(self, request: pb.ListSlotDayRequest,
                          context: grpc.aio.ServicerContext) -> pb.ListSlotDayResponse:
        days, hours = await slots.day_list(self.ctx, caller(context), request.point_code.strip(), request.date)
        return pb.ListSlotDayResponse(cutoff_hours=hours, slots=[
            pb.DaySlot(slot=mappers.appointment_slot(view), bookings=[
                pb.DayBooking(applicant_name=e.booking.applicant_name, application_id=e.application_id,
                              application_number=e.application_number, status_label=e.status_label,
                              booked_at=mappers.ts(e.booking.booked_at))
                for e in entries])
            for view, entries in days])
