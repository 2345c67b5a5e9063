"""Booking and re-booking the on-site confirmation slot from the portal (R-SLOT-2, R-SLOT-3).

The application's point publishes the slots; the service checks capacity and the cut-off before the
booked slot. After a point cancelled the booked slot, the application page asks for a new one and
links here."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tqr_gateway.clients.slots import SlotClient
from tqr_gateway.deps import Applicant, Applications, Slots, actor_metadata
from tqr_gateway.pages.wizard import forms
from tqr_gateway.pages.wizard.common import PageErrors, page_errors
from tqr_gateway.pages.wizard.step_context import slot_item, slot_label
from tqr_gateway.web.language import language_of
from tqr_gateway.web.templating import render

router = APIRouter()


async def _render(request: Request, slots: SlotClient, view: Any, chosen: str, errors: PageErrors,
                  md: tuple[tuple[str, bytes], ...], status_code: int = 200) -> Response:
    lang = language_of(request)
    listed = await slots.list_slots([view.point.point_code], md)
    booked = view.slot if view.HasField("slot") else None
    items = [slot_item(s, lang) for s in listed.slots]
    return render(request, "portal/slot.html", {
        "application": view, "slots": items, "booking": booked,
        "booked_label": slot_label(booked.slot, lang) if booked else "",
        "values": {"slot_id": chosen}, "errors": errors.summary, "field_errors": errors.fields,
    }, status_code=status_code)


@router.get("/portal/applications/{application_id}/slot")
async def slot_form(request: Request, application_id: str, session: Applicant, applications: Applications,
                    slots: Slots) -> Response:
    md = actor_metadata(session)
    view = await applications.get_mine(application_id, md)
    chosen = view.slot.slot.slot_id if view.HasField("slot") and not view.slot.needs_rebooking else ""
    return await _render(request, slots, view, chosen, PageErrors(), md)


@router.post("/portal/applications/{application_id}/slot")
async def book_slot(request: Request, application_id: str, session: Applicant, applications: Applications,
                    slots: Slots) -> Response:
    md = actor_metadata(session)
    slot_id = forms.text(await request.form(), "slot_id")
    try:
        await slots.book(application_id, slot_id, md)
    except grpc.aio.AioRpcError as exc:
        errors = page_errors(request, exc)  # R-SLOT-1 / R-SLOT-2 refusals are shown beside the slots
        view = await applications.get_mine(application_id, md)
        return await _render(request, slots, view, slot_id, errors, md, status_code=400)
    return RedirectResponse(f"/portal/applications/{application_id}?updated=slot", status_code=303)

