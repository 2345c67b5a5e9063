"""R-SLOT-2: the appointment slot booked at the point is printed on the form beside the point, in
Beijing time; a slot the point cancelled is not printed; the render cache tells the two apart."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime

import pypdf
from tqr_documents.adapters.form_mapping import snapshot_of
from tqr_documents.rendering.pdf import render_pdf

from services.documents.tests.fakes import FakeApplication, form_response

START, END = datetime(2026, 4, 8, 1, 0, tzinfo=UTC), datetime(2026, 4, 8, 2, 0, tzinfo=UTC)  # 09:00–10:00 Beijing


def _booked(form):
    arrangement = dataclasses.replace(form.arrangement, appointment_start=START, appointment_end=END)
    return dataclasses.replace(form, arrangement=arrangement)


def test_r_slot_2_the_booked_slot_is_printed_beside_the_point(form, signer) -> None:
    response = form_response(FakeApplication("A1", "U1", "110105", "P1", _booked(form)))
    printed = snapshot_of(response).form
    assert (printed.arrangement.appointment_start, printed.arrangement.appointment_end) == (START, END)
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(
        render_pdf(printed, signer.sign_form(printed)))).pages)
    assert "预约时段" in text and "2026-04-08 09:00–10:00" in text
    assert printed.content_hash() != form.content_hash()  # a re-booking renders the form anew


def test_r_slot_3_a_cancelled_slot_is_not_printed(form) -> None:
    response = form_response(FakeApplication("A1", "U1", "110105", "P1", _booked(form)))
    response.slot.needs_rebooking = True
    printed = snapshot_of(response).form
    assert printed.arrangement.appointment_start is None and printed.content_hash() == form.content_hash()
