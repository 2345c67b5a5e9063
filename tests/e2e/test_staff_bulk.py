"""R-STAFF-6 end to end: the running system, the demo authority admin signed in with password and
TOTP, Chromium ticking applications on the list and deciding them in bulk.

Setup (over gRPC, as the console's other users would): three applications to 北京市海淀区 (point
11010801); the point confirms two; another admin of the authority claims one of those. The admin
then ticks all three, defers them with a reason, confirms the count and reads each result: one
deferred, one refused because it is claimed, one refused by the workflow (not yet confirmed).
Screenshots and an axe pass of every page (test-artifacts/screenshots/staff-bulk/).
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Page, async_playwright
from testkit.actors import metadata_for
from tqr.application.v1 import staff_pb2, staff_pb2_grpc, status_pb2
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_AUTHORITY_ADMIN, ROLE_POINT_STAFF

from tests.e2e import grpc_channel
from tests.e2e.browser import Screens, launch
from tests.e2e.browser import staff_sign_in as sign_in
from tests.e2e.demo import demo_staff
from tests.e2e.test_staff_console import submit_application
from tools.devrun import grpc_port

SCREENS = Screens("staff-bulk")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def prepare(port: int) -> tuple[list[tuple[str, str]], str]:
    """Three applications, two confirmed on site, the second claimed by 张老师; (ids and numbers, her name)."""
    made = await asyncio.gather(*(submit_application(port, "110108", "11010801") for _ in range(3)))
    point = metadata_for(Actor(subject_id="e2e-point", role=ROLE_POINT_STAFF, organisation_code="11010801",
                               display_name="确认点测试"))
    colleague = metadata_for(Actor(subject_id="e2e-colleague", role=ROLE_AUTHORITY_ADMIN,
                                   organisation_code="110108", display_name="张老师"))
    async with grpc_channel.to(port, "application") as channel:
        staff = staff_pb2_grpc.StaffServiceStub(channel)
        for application_id, _ in made[:2]:
            await staff.RecordOnSiteResult(staff_pb2.RecordOnSiteResultRequest(
                application_id=application_id, action=status_pb2.CONFIRM_ON_SITE), metadata=point, timeout=20)
        await staff.ClaimApplication(staff_pb2.ClaimApplicationRequest(application_id=made[1][0]),
                                     metadata=colleague, timeout=20)
    return list(made), "张老师"


async def shot(page: Page, name: str) -> None:
    await SCREENS.record(page, name)


async def test_r_staff_6_bulk_decision_in_the_browser_gives_each_item_its_own_result(running_system) -> None:
    port = grpc_port("application", offset=running_system.port_offset)
    made, colleague = await prepare(port)
    (free_id, free_number), (claimed_id, claimed_number), (submitted_id, submitted_number) = made
    staff = demo_staff(running_system.var)
    url = running_system.url
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            admin = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(admin, url, staff["admin110108"])
            await admin.goto(f"{url}/staff/applications")
            row = admin.locator("tr", has_text=claimed_number)
            assert f"由 {colleague} 处理中" in await row.inner_text()  # the claim, on the list
            await shot(admin, "list-with-claims")

            # Nothing ticked: the list says so beside the form.
            await admin.select_option("#bulk-action", "DEFER")
            await admin.click("button[name=scope][value=selected]")
            assert await admin.locator(".error-summary").count() == 1
            await shot(admin, "list-nothing-ticked")

            for application_id in (free_id, claimed_id, submitted_id):
                await admin.check(f"input[name=ids][value='{application_id}']")
            await admin.select_option("#bulk-action", "DEFER")
            await admin.click("button[name=scope][value=selected]")
            await admin.wait_for_url("**/staff/applications/bulk")
            assert "您选择了 3 份申请" in await admin.inner_text("main")
            await admin.click("main form button[type=submit]")  # the rules want a reason for DEFER
            assert await admin.locator(".error-summary").count() == 1
            await shot(admin, "reason-missing")
            await admin.fill("#reason", "继续教育学时证明不清楚，请补交学时证明。")
            await shot(admin, "reason")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**/staff/applications/bulk/confirm")
            assert "确认对 3 份申请办理“暂缓注册”" in await admin.inner_text("main h1")
            await shot(admin, "confirm")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**/staff/applications/bulk/run")
            text = await admin.inner_text("main")
            assert "办理成功 1 份，未办理 2 份" in text
            results = admin.locator("#bulk-results tbody tr")
            assert await results.count() == 3
            by_number = {}
            for n in range(3):
                cells = await results.nth(n).locator("td").all_inner_texts()
                by_number[cells[0]] = cells
            assert by_number[free_number][1] == "成功" and "暂缓注册" in by_number[free_number][2]
            assert by_number[claimed_number][1] == "未办理" and colleague in by_number[claimed_number][3]
            assert by_number[submitted_number][1] == "未办理" and "不能执行" in by_number[submitted_number][3]
            await shot(admin, "results")

            # The deferred application shows the decision; the claimed one is still the colleague's.
            await admin.goto(f"{url}/staff/applications/{free_id}")
            assert "继续教育学时证明不清楚" in await admin.inner_text("main")
            await admin.goto(f"{url}/staff/applications/{claimed_id}")
            assert f"由 {colleague} 处理中" in await admin.inner_text("#claim")
            await shot(admin, "claimed-by-colleague")
            await admin.goto(f"{url}/staff/applications/{submitted_id}")
            await admin.click("#claim button[type=submit]")
            await admin.wait_for_url("**?done=CLAIMED")
            assert "由您处理中" in await admin.inner_text("#claim")
            await shot(admin, "claimed-by-me")
        finally:
            await browser.close()
    assert SCREENS.serious == []
