"""Issue 19 item 17 in the running system (R-SLOT-1, R-SLOT-2): a confirmation point publishes an
appointment slot in the staff console; applicants pick it at wizard step 5 in Chromium and in
Firefox (a point with slots refuses "下一步" without one); the point's day list shows who booked.
axe finds nothing at any impact on the pages touched; they are shot at 1280 and 375 px.

The point is 海淀's second one (11010802): the other journeys choose the first, which takes no
appointments, so they walk on as before."""

from __future__ import annotations

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
from tests.e2e.browser import Screens, Walk, all_violations, launch, signed_in_context, staff_sign_in
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
        await desk.goto(f"{base}/staff/slots")
        await desk.fill("#date", day)
        await desk.fill("#start-time", "09:00")
        await desk.fill("#end-time", "10:00")
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
