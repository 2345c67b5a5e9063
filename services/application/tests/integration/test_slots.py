"""Confirmation appointment slots through the service on PostgreSQL (R-SLOT-1..3): point staff
publish and cancel slots of their own point; the applicant books one at step 5 and may re-book until
the cut-off; capacity holds under many concurrent bookings; a cancelled slot tells everyone booked.

The clock starts at 2026-03-10 10:00 Beijing; point 11010801's confirmation window runs to
2026-03-15 10:00, so slots on 03-12 and 03-13 lie inside it."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from servicekit.rpc.errors import from_rpc_error
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from tqr.application.v1 import applications_pb2, form_pb2, slots_pb2, slots_pb2_grpc, staff_pb2, wizard_pb2
from tqr.common.v1.vocabulary_pb2 import GENDER_FEMALE, ROLE_SYSTEM
from tqr_application.adapters import orm
from tqr_application.service_layer import slots

from services.application.tests.integration.conftest import born

POINT = "11010801"


def stub(app) -> slots_pb2_grpc.AppointmentServiceStub:
    return slots_pb2_grpc.AppointmentServiceStub(app.channel)


async def publish(app, h, *, date="2026-03-12", start="09:00", end="10:00", capacity=10, point=POINT):
    reply = await app.call(stub(app).PublishSlot, slots_pb2.PublishSlotRequest(
        point_code=point, date=date, start_time=start, end_time=end, capacity=capacity), h.staff("POINT_STAFF", point))
    return reply.slot


async def pick(app, who, slot_id: str, point: str = POINT):
    return await app.save(who, point=wizard_pb2.PointStep(point_code=point, slot_id=slot_id))


async def submit_with_slot(app, h, slot_id: str):
    who = h.new_applicant()
    await app.fill_until_point(who)
    await pick(app, who, slot_id)
    await app.save(who, notes=wizard_pb2.NotesStep(read=True))
    await app.save(who, materials=wizard_pb2.MaterialsStep(materials=h.materials()))
    submitted = await app.call(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="k", identity=who.identity), who.actor)
    return who, submitted


async def booked(app, slot_id: str) -> int:
    async with app.ctx.sessions() as session:
        return int(await session.scalar(text("SELECT booked FROM appointment_slots WHERE id = :id"), {"id": slot_id}))


async def test_r_slot_1_capacity_holds_under_fifty_concurrent_bookings(app, h):
    slot = await publish(app, h, capacity=10)
    people = [h.new_applicant() for _ in range(50)]
    for who in people:
        await app.fill_until_point(who)

    outcomes = await asyncio.gather(*(pick(app, who, slot.slot_id) for who in people), return_exceptions=True)

    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 10 and len(lost) == 40, {(o.code(), o.details()[:200]) for o in lost}
    assert all(isinstance(o, grpc.aio.AioRpcError) and o.code() == grpc.StatusCode.FAILED_PRECONDITION for o in lost)
    assert {getattr(from_rpc_error(o), "code", None) for o in lost} == {"R-SLOT-1"}
    assert await booked(app, slot.slot_id) == 10
    assert await app.count(orm.slot_bookings, orm.slot_bookings.c.slot_id == slot.slot_id) == 10
    for reply in won:
        assert reply.draft.booking.slot.slot_id == slot.slot_id and reply.draft.point_code == POINT
    listed = await app.call(stub(app).ListSlots, slots_pb2.ListSlotsRequest(point_codes=[POINT]), people[0].actor)
    assert [(s.booked, s.bookable) for s in listed.slots] == [(10, False)]


async def test_r_slot_1_the_database_refuses_more_bookings_than_the_capacity(app, h):
    slot = await publish(app, h, capacity=2)
    async with app.ctx.sessions() as session:
        with pytest.raises(IntegrityError):
            async with session.begin():
                await session.execute(update(orm.appointment_slots)
                                      .where(orm.appointment_slots.c.id == slot.slot_id).values(booked=3))
    assert await booked(app, slot.slot_id) == 0


async def test_r_slot_1_a_point_with_slots_needs_one_and_a_point_without_needs_none(app, h):
    slot = await publish(app, h, capacity=3)
    who = h.new_applicant()
    await app.fill_until_point(who)
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        point=wizard_pb2.PointStep(point_code=POINT)), who.actor)
    assert [(p.field, p.code) for p in refused.problems] == [("slot_id", "R-SLOT-1")]
    assert "请选择" in refused.problems[0].message_zh and "slot" in refused.problems[0].message_en
    draft = await app.call(app.wizard.GetDraft, wizard_pb2.GetDraftRequest(), who.actor)
    assert draft.draft.point_code == "" and not draft.draft.HasField("booking")  # nothing changed
    other = await publish(app, h, point="11010501", date="2026-03-12")  # another point's slot
    refused = await app.refused(app.wizard.SaveWizardStep, wizard_pb2.SaveWizardStepRequest(
        point=wizard_pb2.PointStep(point_code=POINT, slot_id=other.slot_id)), who.actor)
    assert refused.problems[0].field == "slot_id"

    saved = await pick(app, who, slot.slot_id)
    assert saved.draft.booking.slot.start_time == "09:00" and saved.draft.booking.slot.date == "2026-03-12"
    # Choosing a point that takes no appointments gives the place back.
    moved = await app.save(who, point=wizard_pb2.PointStep(point_code="11010802"))
    assert moved.draft.point_code == "11010802" and not moved.draft.HasField("booking")
    assert await booked(app, slot.slot_id) == 0


async def test_r_slot_1_only_the_points_own_staff_publish_and_bad_input_changes_nothing(app, h):
    request = slots_pb2.PublishSlotRequest(point_code=POINT, date="2026-03-12", start_time="09:00",
                                           end_time="10:00", capacity=5)
    for actor in (h.staff("POINT_STAFF", "11010802"), h.staff("AUTHORITY_ADMIN", "110108"), h.new_applicant().actor):
        assert (await app.refused(stub(app).PublishSlot, request, actor)).code == "R-STAFF-4"
    own = h.staff("POINT_STAFF", POINT)
    bad = slots_pb2.PublishSlotRequest(point_code=POINT, date="2026-13-40", start_time="25:00", end_time="x",
                                       capacity=0)
    refused = await app.refused(stub(app).PublishSlot, bad, own)
    assert {p.field for p in refused.problems} == {"date", "start_time", "end_time", "capacity"}
    assert all(p.message_zh and p.message_en for p in refused.problems)
    backwards = slots_pb2.PublishSlotRequest(point_code=POINT, date="2026-03-12", start_time="10:00",
                                             end_time="09:00", capacity=5)
    assert (await app.refused(stub(app).PublishSlot, backwards, own)).problems[0].field == "end_time"
    outside = slots_pb2.PublishSlotRequest(point_code=POINT, date="2026-04-20", start_time="09:00",
                                           end_time="10:00", capacity=5)
    assert (await app.refused(stub(app).PublishSlot, outside, own)).problems[0].code == "R-SLOT-1"
    assert await app.count(orm.appointment_slots) == 0


async def test_r_slot_2_rebook_until_the_cutoff_and_the_slot_is_on_the_form_and_the_day_list(app, h):
    first = await publish(app, h, date="2026-03-12", start="09:00", end="10:00", capacity=5)
    second = await publish(app, h, date="2026-03-13", start="14:00", end="15:00", capacity=5)
    who, submitted = await submit_with_slot(app, h, first.slot_id)
    mine = await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=submitted.application_id), who.actor)
    assert mine.application.slot.slot.slot_id == first.slot_id and mine.application.slot.can_rebook

    rebooked = await app.call(stub(app).BookSlot, slots_pb2.BookSlotRequest(
        application_id=submitted.application_id, slot_id=second.slot_id), who.actor)
    assert rebooked.booking.slot.slot_id == second.slot_id
    assert (await booked(app, first.slot_id), await booked(app, second.slot_id)) == (0, 1)

    form = await app.call(app.form.GetApplicationForForm, form_pb2.GetApplicationForFormRequest(
        application_id=submitted.application_id), h.Actor(subject_id="documents", role=ROLE_SYSTEM))
    assert (form.slot.slot.date, form.slot.slot.start_time, form.slot.slot.end_time) == ("2026-03-13", "14:00", "15:00")

    day = await app.call(stub(app).ListSlotDay, slots_pb2.ListSlotDayRequest(point_code=POINT, date="2026-03-13"),
                         h.staff("POINT_STAFF", POINT))
    [listed] = day.slots
    assert [b.application_number for b in listed.bookings] == [submitted.application_number]
    assert listed.bookings[0].applicant_name == who.identity.name and day.cutoff_hours == 24
    assert (await app.refused(stub(app).ListSlotDay, slots_pb2.ListSlotDayRequest(
        point_code=POINT, date="2026-03-13"), h.staff("POINT_STAFF", "11010802"))).code == "R-STAFF-4"
    case = await app.call(app.staff.GetApplicationForStaff, staff_pb2.GetApplicationForStaffRequest(
        application_id=submitted.application_id), h.staff("POINT_STAFF", POINT))
    assert case.application.slot.slot.slot_id == second.slot_id  # the staff case page shows it

    # 24 h before 03-13 14:00 Beijing is 03-12 14:00; the clock moves past it.
    app.clock.advance(hours=52, minutes=1)
    third = await publish(app, h, date="2026-03-14", start="09:00", end="10:00", capacity=5)
    refused = await app.refused(stub(app).BookSlot, slots_pb2.BookSlotRequest(
        application_id=submitted.application_id, slot_id=third.slot_id), who.actor)
    assert refused.code == "R-SLOT-2" and "2026-03-12 14:00" in refused.message_zh
    assert (await booked(app, second.slot_id), await booked(app, third.slot_id)) == (1, 0)

    # The point's own cut-off: 2 hours; re-booking opens again.
    await app.call(stub(app).SetSlotCutoff, slots_pb2.SetSlotCutoffRequest(point_code=POINT, cutoff_hours=2),
                   h.staff("POINT_STAFF", POINT))
    again = await app.call(stub(app).BookSlot, slots_pb2.BookSlotRequest(
        application_id=submitted.application_id, slot_id=third.slot_id), who.actor)
    assert again.booking.slot.slot_id == third.slot_id
    stranger = h.new_applicant()
    assert (await app.refused(stub(app).BookSlot, slots_pb2.BookSlotRequest(
        application_id=submitted.application_id, slot_id=first.slot_id), stranger.actor)).code == "APPLICATION_NOT_FOUND"


async def test_r_slot_3_cancelling_tells_everyone_booked_and_asks_them_to_rebook(app, h):
    slot = await publish(app, h, capacity=5)
    spare = await publish(app, h, date="2026-03-13", capacity=5)
    who_a, a = await submit_with_slot(app, h, slot.slot_id)
    who_b, b = await submit_with_slot(app, h, slot.slot_id)

    refused = await app.refused(stub(app).CancelSlot, slots_pb2.CancelSlotRequest(slot_id=slot.slot_id, reason=" "),
                                h.staff("POINT_STAFF", POINT))
    assert refused.problems[0].field == "reason"
    assert (await app.refused(stub(app).CancelSlot, slots_pb2.CancelSlotRequest(
        slot_id=slot.slot_id, reason="检修"), h.staff("POINT_STAFF", "11010802"))).code == "SLOT_NOT_FOUND"

    cancelled = await app.call(stub(app).CancelSlot, slots_pb2.CancelSlotRequest(
        slot_id=slot.slot_id, reason="场地临时检修"), h.staff("POINT_STAFF", POINT))
    assert cancelled.told == 2 and cancelled.slot.status == slots_pb2.SLOT_STATUS_CANCELLED
    for submitted in (a, b):
        assert await app.published("AppointmentSlotCancelled", submitted.application_id) == 1
    mine = await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=a.application_id), who_a.actor)
    assert mine.application.slot.needs_rebooking and mine.application.slot.slot.cancel_reason == "场地临时检修"
    listed = await app.call(stub(app).ListSlots, slots_pb2.ListSlotsRequest(point_codes=[POINT]), who_a.actor)
    assert [s.slot_id for s in listed.slots] == [spare.slot_id]  # applicants see open slots only

    rebooked = await app.call(stub(app).BookSlot, slots_pb2.BookSlotRequest(
        application_id=a.application_id, slot_id=spare.slot_id), who_a.actor)
    assert not rebooked.booking.needs_rebooking and rebooked.booking.slot.slot_id == spare.slot_id
    assert (await app.refused(stub(app).BookSlot, slots_pb2.BookSlotRequest(
        application_id=b.application_id, slot_id=slot.slot_id), who_b.actor)).code == "R-SLOT-2"


async def test_r_slot_1_withdrawing_gives_the_place_back(app, h):
    slot = await publish(app, h, capacity=1)
    who, submitted = await submit_with_slot(app, h, slot.slot_id)
    assert await booked(app, slot.slot_id) == 1
    await app.call(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
        application_id=submitted.application_id, reason="不再申请"), who.actor)
    assert await booked(app, slot.slot_id) == 0
    assert await app.count(orm.slot_bookings, orm.slot_bookings.c.slot_id == slot.slot_id) == 0
    other = h.new_applicant()
    await app.fill_until_point(other)
    assert (await pick(app, other, slot.slot_id)).draft.booking.slot.slot_id == slot.slot_id


async def test_r_slot_1_discarding_the_draft_gives_its_place_back(app, h):
    """A draft thrown away holds no place: it can no longer be submitted, and a place held by
    nobody's application is one another applicant cannot book."""
    slot = await publish(app, h, capacity=1)
    who = h.new_applicant()
    await app.fill_until_point(who)
    await pick(app, who, slot.slot_id)
    assert await booked(app, slot.slot_id) == 1

    await app.call(app.wizard.DiscardDraft, wizard_pb2.DiscardDraftRequest(), who.actor)

    assert await booked(app, slot.slot_id) == 0
    assert await app.count(orm.slot_bookings, orm.slot_bookings.c.applicant_id == who.actor.subject_id) == 0
    other = h.new_applicant()
    await app.fill_until_point(other)
    assert (await pick(app, other, slot.slot_id)).draft.booking.slot.slot_id == slot.slot_id


@pytest.mark.parametrize("left", ["discarded", "window-closed"])
async def test_r_slot_1_a_withdrawn_application_keeps_no_place_for_a_later_draft(app, h, left):
    """Withdrawn, the application frees the plan for a new one (R-WIZ-9); the applicant starts
    again there and books at step 5, then leaves the draft. Its place goes back as any left
    draft's does: the withdrawn application keeps none."""
    slot = await publish(app, h, capacity=2)
    who, submitted = await submit_with_slot(app, h, slot.slot_id)
    await app.call(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
        application_id=submitted.application_id, reason="学校填错了"), who.actor)
    later = await publish(app, h, point="11010802", date="2026-03-25", capacity=2)
    await app.fill_until_point(who)
    await pick(app, who, later.slot_id, point="11010802")
    assert await booked(app, later.slot_id) == 1

    if left == "discarded":
        await app.call(app.wizard.DiscardDraft, wizard_pb2.DiscardDraftRequest(), who.actor)
    else:
        app.clock.set(h.START + 10 * h.DAY)
        app.clock.advance(seconds=1)  # the plan's online window has closed
        assert await slots.release_abandoned_bookings(app.ctx, app.clock.now()) == 1

    assert await booked(app, later.slot_id) == 0
    assert await app.count(orm.slot_bookings, orm.slot_bookings.c.applicant_id == who.actor.subject_id) == 0


async def test_r_slot_1_discarding_a_new_draft_keeps_the_place_of_a_submitted_application(app, h):
    slot = await publish(app, h, capacity=2)
    who, _ = await submit_with_slot(app, h, slot.slot_id)
    assert await booked(app, slot.slot_id) == 1

    await app.call(app.wizard.DiscardDraft, wizard_pb2.DiscardDraftRequest(), who.actor)

    assert await booked(app, slot.slot_id) == 1  # the application's appointment stands


async def test_r_slot_1_a_place_left_behind_in_another_plan_goes_back(any_app, h):
    app = any_app
    """The applicant booked at step 5, went back to step 4, chose another authority and left: the
    old plan's place is nobody's until the scheduled job gives it back."""
    slot = await publish(app, h, capacity=1)
    who = h.new_applicant()
    await app.fill_until_point(who)
    await pick(app, who, slot.slot_id)
    await app.call(app.wizard.GoBack, wizard_pb2.GoBackRequest(to_step=4), who.actor)
    await app.save(who, certificate_details=wizard_pb2.CertificateDetailsStep(
        holder_name=who.identity.name, certificate_type_code="PRIMARY", subject_code="MATH", gender=GENDER_FEMALE,
        birth_date=born(who.identity.document_number), issuing_body="北京市海淀区教育委员会", issue_date="2015-07-01",
        authority_code="110105", teaching_stage_code="PRIMARY", teaching_subject_code="MATH"))
    stays = h.new_applicant()  # booked and still in that plan: keeps the place
    kept = await publish(app, h, capacity=1, start="10:00", end="11:00")
    await app.fill_until_point(stays)
    await pick(app, stays, kept.slot_id)
    assert await booked(app, slot.slot_id) == 1  # held by nobody's draft

    assert await slots.release_abandoned_bookings(app.ctx, app.clock.now()) == 1
    assert await slots.release_abandoned_bookings(app.ctx, app.clock.now()) == 0  # run twice: once

    assert await booked(app, slot.slot_id) == 0 and await booked(app, kept.slot_id) == 1
    other = h.new_applicant()
    await app.fill_until_point(other)
    assert (await pick(app, other, slot.slot_id)).draft.booking.slot.slot_id == slot.slot_id


async def test_r_slot_1_places_of_drafts_not_submitted_go_back_when_the_online_window_closes(app, h):
    """Point 11010802 confirms until START+20d, long after the plan's online window (START+10d):
    a draft's place there is of no use once the draft can no longer be submitted; a submitted
    application's place stays."""
    slot = await publish(app, h, point="11010802", date="2026-03-25", capacity=5)
    draft_only = h.new_applicant()
    await app.fill_until_point(draft_only)
    await pick(app, draft_only, slot.slot_id, point="11010802")
    submitted = h.new_applicant()
    await app.fill_until_point(submitted)
    await pick(app, submitted, slot.slot_id, point="11010802")
    await app.save(submitted, notes=wizard_pb2.NotesStep(read=True))
    await app.save(submitted, materials=wizard_pb2.MaterialsStep(materials=h.materials()))
    await app.call(app.wizard.SubmitApplication, wizard_pb2.SubmitApplicationRequest(
        idempotency_key="k", identity=submitted.identity), submitted.actor)

    app.clock.set(h.START + 10 * h.DAY)  # the window's last instant: the draft may still be submitted
    assert await slots.release_abandoned_bookings(app.ctx, app.clock.now()) == 0
    app.clock.advance(seconds=1)
    assert await slots.release_abandoned_bookings(app.ctx, app.clock.now()) == 1

    assert await booked(app, slot.slot_id) == 1
    holders = await app.count(orm.slot_bookings, orm.slot_bookings.c.applicant_id == submitted.actor.subject_id)
    assert holders == 1
