"""Typed calls to the application service's AppointmentService (R-SLOT-1..3): the portal's
re-booking page and the point staff's slot pages. The wizard's step 5 needs none of these: its
draft carries the slots of the plan's points."""

from __future__ import annotations

import grpc
from tqr.application.v1 import slots_pb2 as pb
from tqr.application.v1 import slots_pb2_grpc as rpc

Metadata = tuple[tuple[str, bytes], ...]


class SlotClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._slots = rpc.AppointmentServiceStub(channel)

    async def list_slots(self, point_codes: list[str], md: Metadata, *,
                         include_cancelled: bool = False) -> pb.ListSlotsResponse:
        return await self._slots.ListSlots(  # type: ignore[no-any-return]
            pb.ListSlotsRequest(point_codes=point_codes, include_cancelled=include_cancelled), metadata=md)

    async def book(self, application_id: str, slot_id: str, md: Metadata) -> pb.SlotBooking:
        reply = await self._slots.BookSlot(pb.BookSlotRequest(application_id=application_id, slot_id=slot_id),
                                           metadata=md)
        return reply.booking  # type: ignore[no-any-return]

    async def publish(self, point_code: str, date: str, start_time: str, end_time: str, capacity: int,
                      md: Metadata) -> pb.AppointmentSlot:
        reply = await self._slots.PublishSlot(pb.PublishSlotRequest(
            point_code=point_code, date=date, start_time=start_time, end_time=end_time, capacity=capacity),
            metadata=md)
        return reply.slot  # type: ignore[no-any-return]

    async def cancel(self, slot_id: str, reason: str, md: Metadata) -> pb.CancelSlotResponse:
        return await self._slots.CancelSlot(  # type: ignore[no-any-return]
            pb.CancelSlotRequest(slot_id=slot_id, reason=reason), metadata=md)

    async def set_cutoff(self, point_code: str, hours: int, md: Metadata) -> int:
        reply = await self._slots.SetSlotCutoff(pb.SetSlotCutoffRequest(point_code=point_code, cutoff_hours=hours),
                                                metadata=md)
        return int(reply.cutoff_hours)

    async def day_list(self, point_code: str, date: str, md: Metadata) -> pb.ListSlotDayResponse:
        return await self._slots.ListSlotDay(  # type: ignore[no-any-return]
            pb.ListSlotDayRequest(point_code=point_code, date=date), metadata=md)
