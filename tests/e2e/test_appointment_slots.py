"""Issue 19 item 17 in the running system (R-SLOT-1..3): a confirmation point publishes appointment
slots in the staff console; applicants pick one at wizard step 5 in Chromium and in Firefox (a point
with slots refuses "下一步" without one); the point's day list shows who booked; the slot is on the
check page and the application's page; the point cancels it and the applicant re-books.
axe finds nothing at any impact on the pages touched; they are shot at 1280 and 375 px.

The point is 海淀's second one (11010802): the other journeys choose the first, which takes no
appointments, so they walk on as before."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright, expect
from testkit.actors import metadata_for
from tqr.application.v1 import slots_pb2, slots_pb2_grpc
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_POINT_STAFF

from tests.e2e import grpc_channel
from tests.e2e.api_client import ApiClient
from tests.e2e.browser import (
    Screens,
    Walk,
    all_violations,
    fill_materials_pages,
    launch,
    signed_in_context,
    staff_sign_in,
)
from tests.e2e.demo import HAIDIAN, add_staff, new_mobile, new_registry_holder, own_address, register_and_verify
from tests.e2e.firefox import Firefox, Label
from tests.e2e.firefox import launch as launch_firefox
from tests.e2e.test_firefox import PASSWORD, next_step, record, sign_in
from tools.devrun import grpc_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
SLOT_POINT = "11010802"  # its confirmation window runs from 3 to 30 days after the demo seed
BEIJING = timezone(timedelta(hours=8))
SLOT_GROUP = f"[data-slots-of='{SLOT_POINT}']"


def day_in(days: int) -> str:
    return (datetime.now(UTC).astimezone(BEIJING).date() + timedelta(days=days)).isoformat()


async def to_step_5_in_chromium(page: Any, walk: Walk, base: str, certificate_number: str) -> None:
    await page.goto(f"{base}/apply")
    await expect(page.locator("#continue")).to_be_enabled(timeout=15000)
    await walk.next()
    await page.check("input[name=accept]")
    await walk.next()
    await page.fill("#certificate_number", certificate_number)
    await walk.next()
    assert page.url.endswith("/apply/step/4"), await page.content()
    await page.select_option("#authority_code", HAIDIAN)
    await page.select_option("#teaching_stage_code", "PRIMARY")
    await page.select_option("#teaching_subject_code", "MATH")
    await walk.next()
    assert page.url.endswith("/apply/step/5"), await page.content()


async def test_r_slot_1_point_publishes_and_applicant_picks_a_slot_at_step_5_in_chromium(running_system: Any) -> None:
    base, day = running_system.url, day_in(5)
    staff = await add_staff(running_system.var, f"slots-{uuid.uuid4().hex[:8]}", "POINT_STAFF", SLOT_POINT)
    holder = new_registry_holder(running_system.var)
    async with ApiClient(base, source_address=own_address()) as api:
        await register_and_verify(api, running_system.var, holder, new_mobile())
        token = api.cookies["__Host-session"]
    screens = Screens("slots")
    async with async_playwright() as p:
        browser = await launch(p)
        # The point publishes a slot in the console.
        desk = await browser.new_page(viewport={"width": 1280, "height": 900})
        await staff_sign_in(desk, base, staff)
        for start, end in (("09:00", "10:00"), ("10:30", "11:30")):
            await desk.goto(f"{base}/staff/slots")
            await desk.fill("#date", day)
            await desk.fill("#start-time", start)
            await desk.fill("#end-time", end)
            await desk.fill("#capacity", "3")
            await desk.click("#publish-slot button[type=submit]")
            await desk.wait_for_url("**/staff/slots?done=published")
        assert "0 / 3" in await desk.locator("#slot-table").inner_text()
        await screens.record(desk, "staff-slots")
        assert await all_violations(desk, "staff-slots") == []

        # The applicant reaches step 5; the point with slots shows them once chosen.
        context = await signed_in_context(browser, base, token)
        page = await context.new_page()
        walk = Walk(page, screens)
        await to_step_5_in_chromium(page, walk, base, holder.certificate_number)
        await page.check(f"input[name=point_code][value='{SLOT_POINT}']")
        await expect(page.locator(SLOT_GROUP)).to_be_visible()
        assert await page.locator("[data-slots-of]:not([hidden])").count() == 1  # only the chosen point's

        # R-SLOT-1: without a slot the step is refused, the error summary links to the slots.
        await walk.next()
        assert page.url.endswith("/apply/step/5")
        summary = page.locator(".error-summary")
        assert await summary.count() == 1 and "请选择" in await summary.inner_text()
        assert await page.locator(f"input[name=point_code][value='{SLOT_POINT}']").is_checked()
        await screens.record(page, "step5-slot-error")
        assert await all_violations(page, "step5-slot-error") == []

        choice = page.locator(f"{SLOT_GROUP} input[name=slot_id]").first
        await choice.check()
        await screens.record(page, "step5-slot")
        assert await all_violations(page, "step5-slot") == []
        await walk.next()
        assert page.url.endswith("/apply/step/6"), await page.content()

        # R-SLOT-2: the booking holds (back at step 5 it is chosen), and the day list shows it.
        await page.goto(f"{base}/apply/step/5")
        assert await page.locator(f"{SLOT_GROUP} input[name=slot_id]:checked").count() == 1
        await desk.goto(f"{base}/staff/slots/day?date={day}")
        listed = await desk.locator("main").inner_text()
        assert holder.holder_name in listed and "已约 1 人" in listed, listed
        await screens.record(desk, "staff-day-list")
        assert await all_violations(desk, "staff-day-list") == []

        # The slot is on the page for checking answers and on the application's page.
        await walk.next()
        await walk.next("已阅读并下一步")
        await fill_materials_pages(walk, "slot.teacher@example.com", "海淀实验小学", "数学教师", "2015-09-01")
        assert page.url.endswith("/apply/check"), await page.content()
        assert "预约时段" in await page.locator("main").inner_text()
        await page.get_by_role("button", name="提交申请").click()
        await page.wait_for_url(re.compile(r".*/apply/done/.+"))
        application_id = page.url.rsplit("/", 1)[1]
        await page.goto(f"{base}/portal/applications/{application_id}")
        assert "09:00–10:00" in await page.locator("main").inner_text()
        await screens.record(page, "portal-slot")
        assert await all_violations(page, "portal-slot") == []

        # R-SLOT-3: the point cancels the slot with a reason; the application asks for a new one.
        await desk.goto(f"{base}/staff/slots")
        await desk.locator("#slot-table tbody tr").first.locator("a[href$='/cancel']").click()
        await desk.fill("#reason", "场地临时检修")
        await screens.record(desk, "staff-slot-cancel")
        await desk.click("main form button[type=submit]")
        await desk.wait_for_url("**/staff/slots?done=cancelled*")
        assert "已通知 1 位" in await desk.locator("main").inner_text()
        await page.reload()
        await expect(page.locator("#slot-cancelled")).to_contain_text("场地临时检修")
        await screens.record(page, "portal-slot-cancelled")
        assert await all_violations(page, "portal-slot-cancelled") == []
        await page.get_by_role("button", name="重新预约时段").click()
        await page.wait_for_url(f"**/portal/applications/{application_id}/slot")
        await page.locator("input[name=slot_id]:not([disabled])").first.check()
        await screens.record(page, "portal-rebook")
        assert await all_violations(page, "portal-rebook") == []
        await page.get_by_role("button", name="确认预约").click()
        await page.wait_for_url("**?updated=slot")
        assert "10:30–11:30" in await page.locator("main").inner_text()
        assert await page.locator("#slot-cancelled").count() == 0
        assert screens.serious == []
        await browser.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def firefox() -> AsyncIterator[Firefox]:
    async with launch_firefox() as browser:
        yield browser


async def publish_through_grpc(running_system: Any, day: str) -> slots_pb2.AppointmentSlot:
    port = grpc_port("application", offset=running_system.port_offset)
    staff = metadata_for(Actor(subject_id="e2e-slot-desk", role=ROLE_POINT_STAFF, organisation_code=SLOT_POINT))
    async with grpc_channel.to(port, "application") as channel:
        reply = await slots_pb2_grpc.AppointmentServiceStub(channel).PublishSlot(slots_pb2.PublishSlotRequest(
            point_code=SLOT_POINT, date=day, start_time="14:00", end_time="15:30", capacity=5), metadata=staff,
            timeout=20)
    return reply.slot


async def test_r_slot_1_applicant_picks_a_slot_at_step_5_in_firefox(running_system: Any, firefox: Firefox) -> None:
    base = running_system.url
    slot = await publish_through_grpc(running_system, day_in(6))
    holder = new_registry_holder(running_system.var)
    async with ApiClient(base, source_address=own_address()) as api:
        await register_and_verify(api, running_system.var, holder, new_mobile())
    async with firefox.page() as page:
        await sign_in(page, base, holder.document_number, PASSWORD)
        await page.goto(f"{base}/apply")
        await page.wait_for("!document.querySelector('#continue').disabled")
        await next_step(page)
        await page.check(Label("接受"))
        await next_step(page)
        await page.fill(Label("教师资格证书号码"), holder.certificate_number)
        await next_step(page)
        await page.select(Label("注册机构"), HAIDIAN)
        await page.select(Label("现任教学段"), "PRIMARY")
        await page.select(Label("现任教学科"), "MATH")
        await next_step(page)
        assert (await page.current_url()).endswith("/apply/step/5")
        await page.check(f"input[name=point_code][value='{SLOT_POINT}']")
        assert await page.count("[data-slots-of]:not([hidden])") == 1
        await page.check(f"input[name=slot_id][value='{slot.slot_id}']")
        await record(page, "slots-step5")
        await next_step(page)
        assert (await page.current_url()).endswith("/apply/step/6"), await page.text("main")
        await page.goto(f"{base}/apply/step/5")
        assert await page.count(f"input[name=slot_id][value='{slot.slot_id}']:checked") == 1
