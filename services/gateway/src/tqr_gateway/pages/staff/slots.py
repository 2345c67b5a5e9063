"""A confirmation point's appointment slots (R-SLOT-1..3), for the point's own staff: publish a slot
(date, time range, capacity), set the booking cut-off, cancel a slot (the people booked are told and
asked to re-book), and the day list: every slot of one day and who is booked on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from tqr.application.v1 import slots_pb2

from tqr_gateway.deps import Slots, require_staff
from tqr_gateway.flows.staff_rules import POINT_STAFF, Problem
from tqr_gateway.pages.staff.common import form_errors, metadata, refusal_problems, text_of
from tqr_gateway.pages.staff.navigation import page
from tqr_gateway.pages.wizard.step_context import slot_label, when
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.formatting import CHINA_TZ
from tqr_gateway.web.language import language_of

router = APIRouter(include_in_schema=False)
PointStaff = Annotated[SessionInfo, Depends(require_staff(POINT_STAFF))]
SECTION = "staff.nav.slots"
DONE = ("published", "cutoff", "cancelled")


def _today() -> str:
    return datetime.now(UTC).astimezone(CHINA_TZ).date().isoformat()


def _row(request: Request, slot: slots_pb2.AppointmentSlot) -> dict[str, Any]:
    lang = language_of(request)
    cancelled = slot.status == slots_pb2.SLOT_STATUS_CANCELLED
    return {"id": slot.slot_id, "label": slot_label(slot, lang), "date": slot.date, "capacity": slot.capacity,
            "booked": slot.booked, "cancelled": cancelled, "reason": slot.cancel_reason,
            "cutoff": when(slot.cutoff_at)}


async def _slots_page(request: Request, session: SessionInfo, slots: Slots, *, values: dict[str, str] | None = None,
                      problems: list[Problem] | None = None, done: str = "", told: str = "") -> Response:
    listed = await slots.list_slots([session.organisation_code], metadata(session), include_cancelled=True)
    errors, field_errors = form_errors(request, problems or [])
    return page(request, session, "staff/slots.html", section=SECTION, status_code=422 if problems else 200, context={
        "rows": [_row(request, s) for s in listed.slots], "cutoff_hours": listed.cutoff_hours,
        "values": values or {"cutoff_hours": str(listed.cutoff_hours)}, "errors": errors,
        "field_errors": field_errors, "done": done if done in DONE else "", "told": told if told.isdigit() else "",
        "today": _today()})


@router.get("/staff/slots")
async def slots_home(request: Request, session: PointStaff, slots: Slots, done: str = "", told: str = "") -> Response:
    return await _slots_page(request, session, slots, done=done, told=told)


def _whole(typed: str) -> int:
    return int(typed) if typed.isdigit() and len(typed) <= 6 else -1


@router.post("/staff/slots")
async def publish(request: Request, session: PointStaff, slots: Slots) -> Response:
    form = await request.form()
    values = {key: text_of(form, key) for key in ("date", "start_time", "end_time", "capacity")}
    capacity = _whole(values["capacity"])
    if capacity < 0:
        problems = [Problem("capacity", "请用数字填写可预约人数，例如 20",
                            "Enter the number of places in digits, for example 20")]
        return await _slots_page(request, session, slots, values=values, problems=problems)
    try:
        await slots.publish(session.organisation_code, values["date"], values["start_time"], values["end_time"],
                            capacity, metadata(session))
    except grpc.aio.AioRpcError as exc:
        return await _slots_page(request, session, slots, values=values,
                                 problems=refusal_problems(exc, fallback_field="date"))
    return RedirectResponse("/staff/slots?done=published", status_code=303)


@router.post("/staff/slots/cutoff")
async def set_cutoff(request: Request, session: PointStaff, slots: Slots) -> Response:
    typed = text_of(await request.form(), "cutoff_hours")
    hours = _whole(typed)
    problems: list[Problem] = []
    if hours < 0:
        problems = [Problem("cutoff-hours", "请用数字填写小时数，例如 24", "Enter the hours in digits, for example 24")]
    else:
        try:
            await slots.set_cutoff(session.organisation_code, hours, metadata(session))
        except grpc.aio.AioRpcError as exc:
            problems = refusal_problems(exc, fallback_field="cutoff-hours")
    if problems:
        return await _slots_page(request, session, slots, values={"cutoff_hours": typed}, problems=problems)
    return RedirectResponse("/staff/slots?done=cutoff", status_code=303)


async def _own_slot(session: SessionInfo, slots: Slots, slot_id: str) -> slots_pb2.AppointmentSlot | None:
    listed = await slots.list_slots([session.organisation_code], metadata(session), include_cancelled=True)
    return next((s for s in listed.slots if s.slot_id == slot_id), None)


@router.get("/staff/slots/{slot_id}/cancel")
async def cancel_form(request: Request, session: PointStaff, slots: Slots, slot_id: str) -> Response:
    slot = await _own_slot(session, slots, slot_id)
    if slot is None or slot.status == slots_pb2.SLOT_STATUS_CANCELLED:
        return RedirectResponse("/staff/slots", status_code=303)
    return page(request, session, "staff/slot_cancel.html", section=SECTION, context={
        "slot": _row(request, slot), "reason": "", "errors": [], "field_errors": {}})


@router.post("/staff/slots/{slot_id}/cancel")
async def cancel(request: Request, session: PointStaff, slots: Slots, slot_id: str) -> Response:
    reason = text_of(await request.form(), "reason")
    try:
        reply = await slots.cancel(slot_id, reason, metadata(session))
    except grpc.aio.AioRpcError as exc:
        slot = await _own_slot(session, slots, slot_id)
        if slot is None:
            return RedirectResponse("/staff/slots", status_code=303)
        errors, field_errors = form_errors(request, refusal_problems(exc, fallback_field="reason"))
        return page(request, session, "staff/slot_cancel.html", section=SECTION, status_code=422, context={
            "slot": _row(request, slot), "reason": reason, "errors": errors, "field_errors": field_errors})
    return RedirectResponse(f"/staff/slots?done=cancelled&told={reply.told}", status_code=303)


@router.get("/staff/slots/day")
async def day_list(request: Request, session: PointStaff, slots: Slots, date: str = "") -> Response:
    """R-SLOT-2: the point's day list, per slot, for the people at the desk."""
    day = date.strip() or _today()
    problems: list[Problem] = []
    listed: slots_pb2.ListSlotDayResponse | None = None
    try:
        listed = await slots.day_list(session.organisation_code, day, metadata(session))
    except grpc.aio.AioRpcError as exc:
        problems = refusal_problems(exc, fallback_field="date")
    errors, field_errors = form_errors(request, problems)
    groups = [{
        "slot": _row(request, entry.slot),
        "rows": [{"number": b.application_number or "—", "name": b.applicant_name, "status": b.status_label,
                  "href": f"/staff/applications/{b.application_id}" if b.application_id else ""}
                 for b in entry.bookings],
    } for entry in (listed.slots if listed else [])]
    return page(request, session, "staff/slot_day.html", section=SECTION, status_code=422 if problems else 200,
                context={"date": day, "groups": groups, "errors": errors, "field_errors": field_errors})
