"""A fake ``SlotClient`` (AppointmentService, R-SLOT-1..3) for the portal's and the console's slot
pages: slots of point P1 / 11010801, a booking per application, refusals as the service words them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from servicekit import errors
from tqr.application.v1 import slots_pb2

from services.gateway.tests.unit.client_fakes import actor_in, refused


def slot(slot_id: str, point: str, date: str, start: str, end: str, capacity: int = 5, booked: int = 0,
         cancelled: bool = False) -> slots_pb2.AppointmentSlot:
    made = slots_pb2.AppointmentSlot(
        slot_id=slot_id, point_code=point, date=date, start_time=start, end_time=end, capacity=capacity,
        booked=booked, bookable=not cancelled and booked < capacity,
        status=slots_pb2.SLOT_STATUS_CANCELLED if cancelled else slots_pb2.SLOT_STATUS_OPEN)
    made.cutoff_at.FromSeconds(2_089_500_000)
    return made


@dataclass
class FakeSlots:
    slots: list[slots_pb2.AppointmentSlot] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    day: list[slots_pb2.DaySlot] = field(default_factory=list)

    def _org(self, md: Any) -> str:
        actor = actor_in(md)
        return actor.organisation_code if actor else ""

    async def list_slots(self, point_codes: list[str], md: Any, *,
                         include_cancelled: bool = False) -> slots_pb2.ListSlotsResponse:
        self.calls.append(("list_slots", {"point_codes": list(point_codes), "include_cancelled": include_cancelled}))
        shown = [s for s in self.slots if s.point_code in point_codes
                 and (include_cancelled or s.status == slots_pb2.SLOT_STATUS_OPEN)]
        return slots_pb2.ListSlotsResponse(slots=shown, cutoff_hours=24)

    async def book(self, application_id: str, slot_id: str, md: Any) -> slots_pb2.SlotBooking:
        self.calls.append(("book", {"application_id": application_id, "slot_id": slot_id}))
        found = next((s for s in self.slots if s.slot_id == slot_id), None)
        if found is None:
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "slot_id", "R-SLOT-1", "请选择所选确认点的一个时段", "Choose one of the chosen point's slots")]))
        if not found.bookable:
            raise refused(errors.RuleViolation("R-SLOT-1", "该时段已约满，请选择其他时段",
                                               "This slot is fully booked; choose another one"))
        return slots_pb2.SlotBooking(slot=found)

    async def publish(self, point_code: str, date: str, start_time: str, end_time: str, capacity: int,
                      md: Any) -> slots_pb2.AppointmentSlot:
        self.calls.append(("publish", {"point_code": point_code, "date": date, "start_time": start_time,
                                       "end_time": end_time, "capacity": capacity, "org": self._org(md)}))
        if end_time <= start_time:
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "end_time", "R-SLOT-1", "结束时间应晚于开始时间", "The end time must be after the start time")]))
        made = slot(f"s{len(self.slots) + 1}", point_code, date, start_time, end_time, capacity)
        self.slots.append(made)
        return made

    async def cancel(self, slot_id: str, reason: str, md: Any) -> slots_pb2.CancelSlotResponse:
        self.calls.append(("cancel", {"slot_id": slot_id, "reason": reason}))
        if not reason:
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "reason", "R-SLOT-3", "请填写取消原因，预约的申请人会看到", "Give the reason for cancelling")]))
        found = next(s for s in self.slots if s.slot_id == slot_id)
        found.status = slots_pb2.SLOT_STATUS_CANCELLED
        found.cancel_reason = reason
        return slots_pb2.CancelSlotResponse(slot=found, told=found.booked)

    async def set_cutoff(self, point_code: str, hours: int, md: Any) -> int:
        self.calls.append(("set_cutoff", {"point_code": point_code, "hours": hours}))
        if hours > 336:
            raise refused(errors.InvalidInput([errors.FieldProblem(
                "cutoff_hours", "R-SLOT-2", "截止时间应为时段开始前 0 至 336 小时",
                "The cut-off must be 0 to 336 hours before the slot")]))
        return hours

    async def day_list(self, point_code: str, date: str, md: Any) -> slots_pb2.ListSlotDayResponse:
        self.calls.append(("day_list", {"point_code": point_code, "date": date}))
        return slots_pb2.ListSlotDayResponse(slots=self.day, cutoff_hours=24)
