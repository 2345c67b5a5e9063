"""Appointment slots on the pages over fake services (R-SLOT-1..3): step 5 offers the chosen point's
slots and sends the one picked; the portal shows the booked slot, asks to re-book after the point
cancelled it and re-books; the point's console publishes, cancels (with a reason), sets the cut-off
and lists the day's bookings per slot; nobody else opens those pages. Every refusal is shown in the
page's language beside its field; nothing is a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tqr.application.v1 import slots_pb2
from tqr.application.v1 import views_pb2 as views
from tqr_gateway import deps

from services.gateway.tests.unit.slot_fakes import FakeSlots, slot
from services.gateway.tests.unit.staff_fakes import APP_ID, BOOKED_APP_ID, SLOT_CANCELLED_APP_ID, Console, console
from services.gateway.tests.unit.test_wizard_pages import post, walk_to
from services.gateway.tests.unit.wizard_fakes import State, gateway, sign_in

pytestmark = pytest.mark.redis


async def test_r_slot_1_step_5_offers_the_points_slots_and_sends_the_one_picked() -> None:
    state = State(point_slots=[slot("s1", "P1", "2036-03-20", "09:00", "10:00", capacity=5, booked=2),
                               slot("s2", "P1", "2036-03-20", "10:00", "11:00", capacity=5, booked=5)])
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 5)
        page = await client.get("/apply/step/5")
        assert "预约现场确认时段" in page.text and "2036年3月20日 星期四 09:00–10:00" in page.text
        assert "剩余 3 个名额" in page.text and "已约满" in page.text
        assert 'value="s2" aria-describedby="slot-s2-item-hint" disabled' in page.text  # a full slot is no choice
        refused = await post(client, "/apply/step/5", {"point_code": "P1"})
        assert refused.status_code == 400 and 'id="slot_id-error"' in refused.text
        assert 'href="#slot_id"' in refused.text and 'id="slot_id"' in refused.text  # the summary links to it
        saved = await post(client, "/apply/step/5", {"point_code": "P1", "slot_id": "s1"})
        assert saved.status_code == 303
        assert state.saved_steps[-1].point.slot_id == "s1"
        again = await client.get("/apply/step/5")
        assert 'value="s1" aria-describedby="slot_id-item-hint" checked' in again.text


async def test_r_slot_1_step_5_without_slots_shows_no_slot_section() -> None:
    state = State()
    async with gateway(state) as client:
        sign_in(client)
        await walk_to(client, 5)
        page = await client.get("/apply/step/5")
    assert "预约现场确认时段" not in page.text and "slot_id" not in page.text


def booked_application(state: State, *, cancelled: bool) -> views.ApplicationView:
    view = views.ApplicationView(
        application_id="app-9", application_number="2026110108000009", applicant_id="acc-a", applicant_name="欧阳倩",
        point=views.PointWindow(point_code="P1", point_name="海淀区第一确认点", address="中关村大街 1 号"),
        status=views.StatusView(status="SUBMITTED", label_zh="已提交"), version=1)
    booked = slot("s1", "P1", "2036-03-20", "09:00", "10:00", booked=1, cancelled=cancelled)
    booked.cancel_reason = "场地检修" if cancelled else ""
    view.slot.CopyFrom(slots_pb2.SlotBooking(slot=booked, needs_rebooking=cancelled, can_rebook=True))
    state.applications[view.application_id] = ("acc-a", view)
    state.slots.slots = [booked, slot("s2", "P1", "2036-03-21", "14:00", "15:00"),
                         slot("s3", "P1", "2036-03-22", "14:00", "15:00", capacity=2, booked=2)]
    return view


async def test_r_slot_2_the_portal_shows_the_slot_and_re_books_it() -> None:
    state = State()
    booked_application(state, cancelled=False)
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
        assert "预约时段" in page.text and "2036年3月20日 星期四 09:00–10:00" in page.text
        assert 'href="/portal/applications/app-9/slot"' in page.text
        form = await client.get("/portal/applications/app-9/slot")
        assert "您已预约：2036年3月20日" in form.text and 'value="s1" aria-describedby="slot_id-item-hint" checked' \
            in form.text
        full = await post(client, "/portal/applications/app-9/slot", {"slot_id": "s3"},
                          page="/portal/applications/app-9/slot")
        assert full.status_code == 400 and 'id="slot_id-error"' in full.text and "已约满" in full.text
        done = await post(client, "/portal/applications/app-9/slot", {"slot_id": "s2"},
                          page="/portal/applications/app-9/slot")
        assert done.status_code == 303 and done.headers["location"].endswith("?updated=slot")
        assert state.slots.calls[-1] == ("book", {"application_id": "app-9", "slot_id": "s2"})


async def test_r_slot_3_a_cancelled_slot_asks_the_applicant_to_re_book() -> None:
    state = State()
    booked_application(state, cancelled=True)
    async with gateway(state) as client:
        sign_in(client)
        page = await client.get("/portal/applications/app-9")
        form = await client.get("/portal/applications/app-9/slot")
    assert 'id="slot-cancelled"' in page.text and "场地检修" in page.text and "重新预约时段" in page.text
    assert "已被确认点取消" in page.text
    assert "确认点取消了您预约的时段" in form.text and " checked" not in form.text.split("<form", 1)[1]


@pytest.fixture(scope="module")
def point_console() -> Iterator[tuple[Console, FakeSlots]]:
    fake = FakeSlots(slots=[slot("s1", "11010801", "2036-03-20", "09:00", "10:00", booked=2)])

    async def slots_dependency() -> FakeSlots:
        return fake

    with console() as running:
        running.client.app.dependency_overrides[deps.slot_client] = slots_dependency  # type: ignore[attr-defined]
        yield running, fake


def test_r_slot_1_only_point_staff_open_the_slot_pages(point_console: tuple[Console, FakeSlots]) -> None:
    running, _ = point_console
    for token in ("tok-admin", "tok-reviewer", "tok-sysadmin"):
        running.sign_in(token)
        assert running.client.get("/staff/slots").status_code == 403, token
    running.sign_in("tok-point")
    home = running.client.get("/staff")
    assert 'href="/staff/slots"' in home.text


def test_r_slot_1_point_staff_publish_a_slot_and_set_the_cutoff(point_console: tuple[Console, FakeSlots]) -> None:
    running, fake = point_console
    running.sign_in("tok-point")
    page = running.client.get("/staff/slots")
    assert page.status_code == 200 and "2 / 5" in page.text and page.headers["cache-control"] == "no-store"
    not_a_number = running.post("/staff/slots", {"date": "2036-03-21", "start_time": "09:00", "end_time": "10:00",
                                                 "capacity": "十"})
    assert not_a_number.status_code == 422 and "请用数字填写可预约人数" in not_a_number.text
    backwards = running.post("/staff/slots", {"date": "2036-03-21", "start_time": "10:00", "end_time": "09:00",
                                              "capacity": "10"})
    assert backwards.status_code == 422 and 'href="#end-time"' in backwards.text and "结束时间应晚于开始时间" in backwards.text
    published = running.post("/staff/slots", {"date": "2036-03-21", "start_time": "09:00", "end_time": "10:00",
                                              "capacity": "10"})
    assert published.status_code == 303 and published.headers["location"] == "/staff/slots?done=published"
    assert fake.calls[-1] == ("publish", {"point_code": "11010801", "date": "2036-03-21", "start_time": "09:00",
                                          "end_time": "10:00", "capacity": 10, "org": "11010801"})
    too_long = running.post("/staff/slots/cutoff", {"cutoff_hours": "999"})
    assert too_long.status_code == 422 and 'href="#cutoff-hours"' in too_long.text
    saved = running.post("/staff/slots/cutoff", {"cutoff_hours": "48"})
    assert saved.status_code == 303 and fake.calls[-1] == ("set_cutoff", {"point_code": "11010801", "hours": 48})


def test_r_slot_3_cancelling_asks_a_reason_and_says_who_is_told(point_console: tuple[Console, FakeSlots]) -> None:
    running, _ = point_console
    running.sign_in("tok-point")
    form = running.client.get("/staff/slots/s1/cancel")
    assert form.status_code == 200 and "有 2 位申请人预约了这个时段" in form.text
    no_reason = running.post("/staff/slots/s1/cancel", {"reason": ""})
    assert no_reason.status_code == 422 and "请填写取消原因" in no_reason.text
    done = running.post("/staff/slots/s1/cancel", {"reason": "场地检修"})
    assert done.status_code == 303 and done.headers["location"] == "/staff/slots?done=cancelled&told=2"
    told = running.client.get(done.headers["location"])
    assert "已通知 2 位预约的申请人重新预约" in told.text and "已取消" in told.text


def test_r_slot_2_the_day_list_shows_each_slots_bookings(point_console: tuple[Console, FakeSlots]) -> None:
    running, fake = point_console
    running.sign_in("tok-point")
    booking = slots_pb2.DayBooking(applicant_name="欧阳倩", application_id="app-9",
                                   application_number="2026110108000009", status_label="已提交")
    draft_only = slots_pb2.DayBooking(applicant_name="张晨晓", status_label="申报未提交")
    fake.day = [slots_pb2.DaySlot(slot=slot("s1", "11010801", "2036-03-20", "09:00", "10:00", booked=2),
                                  bookings=[booking, draft_only]),
                slots_pb2.DaySlot(slot=slot("s4", "11010801", "2036-03-20", "14:00", "15:00"))]
    page = running.client.get("/staff/slots/day?date=2036-03-20")
    assert page.status_code == 200
    assert 'href="/staff/applications/app-9"' in page.text and "欧阳倩" in page.text and "张晨晓" in page.text
    assert "已约 2 人，名额 5 人" in page.text and "这个时段还没有人预约" in page.text
    assert fake.calls[-1] == ("day_list", {"point_code": "11010801", "date": "2036-03-20"})


def test_r_slot_2_the_case_page_shows_the_appointment_the_applicant_booked(
        point_console: tuple[Console, FakeSlots]) -> None:
    running, _ = point_console
    running.sign_in("tok-point")
    booked = running.client.get(f"/staff/applications/{BOOKED_APP_ID}")
    assert booked.status_code == 200
    assert '<dt class="summary-list__key">预约时段</dt>' in booked.text
    assert "2036年3月20日 星期四 09:00–10:00" in booked.text
    assert "已被确认点取消" not in booked.text
    cancelled = running.client.get(f"/staff/applications/{SLOT_CANCELLED_APP_ID}")
    assert "2036年3月20日 星期四 09:00–10:00（已被确认点取消，申请人需重新预约）" in cancelled.text
    running.client.cookies.set("lang", "en")
    try:
        english = running.client.get(f"/staff/applications/{SLOT_CANCELLED_APP_ID}")
    finally:
        running.client.cookies.delete("lang")
    assert '<dt class="summary-list__key">Appointment slot</dt>' in english.text
    assert "Thu 20 Mar 2036, 09:00–10:00 (cancelled by the point: the applicant has to book another)" in english.text
    unbooked = running.client.get(f"/staff/applications/{APP_ID}")
    assert unbooked.status_code == 200 and '<dt class="summary-list__key">预约时段</dt>' not in unbooked.text
