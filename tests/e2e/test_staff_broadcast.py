"""Broadcast end to end (R-STAFF-7): the running system, a point's staff member in Chromium writes to
the applicants of the point filtered by status, sees the recipient count and the message in a
preview, sends it, and the applicant finds it in the inbox; every page checked with axe.

The point is 11010502 (朝阳区's second point), which no other end-to-end test applies to, so the
count the preview shows is exactly this test's applicant.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from playwright.async_api import async_playwright

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, all_violations, launch, signed_in_context
from tests.e2e.browser import staff_sign_in as sign_in
from tests.e2e.demo import (
    CHAOYANG,
    add_staff,
    apply_through_api,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

SCREENS = Screens("broadcast")
POINT = "11010502"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_r_staff_7_point_staff_preview_the_count_send_and_the_applicant_reads_it(running_system) -> None:
    url, var = running_system.url, running_system.var
    suffix = uuid.uuid4().hex[:6]
    staff = await add_staff(var, f"point{POINT}-{suffix}", "POINT_STAFF", POINT)
    async with ApiClient(url, source_address=own_address()) as api:
        holder = new_registry_holder(var)
        await register_and_verify(api, var, holder, new_mobile())
        await apply_through_api(api, holder, authority=CHAOYANG, point=POINT)
        token = api.cookies["__Host-session"]
    subject = f"本周五确认点暂停服务 {suffix}"
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await sign_in(page, url, staff)
            await page.get_by_role("link", name="群发消息").click()
            await page.wait_for_url("**/staff/broadcast")
            await SCREENS.record(page, "01-compose")

            # Nothing filled in: errors beside the fields, nothing sent.
            await page.get_by_role("button", name="预览").click()
            assert await page.locator(".error-summary").count() == 1
            assert "请选择收件人范围" in await page.inner_text(".error-summary")
            await SCREENS.record(page, "02-compose-errors")

            await page.select_option("#audience", f"point:{POINT}")
            await page.check("input[name=statuses][value=SUBMITTED]")
            await page.fill("#subject-zh", subject)
            await page.fill("#body-zh", "本周五确认点暂停服务。\n请改在周六上午前来，携带证件原件。")
            await page.fill("#subject-en", "Point closed on Friday")
            await page.fill("#body-en", "The point is closed on Friday. Please come on Saturday morning.")
            await page.get_by_role("button", name="预览").click()
            await page.wait_for_url("**/staff/broadcast/preview")
            main = await page.inner_text("main")
            assert "这条消息将发给 1 位申请人" in main and subject in main and "Point closed on Friday" in main
            await SCREENS.record(page, "03-preview")

            await page.get_by_role("button", name="发送给 1 位申请人").click()
            await page.wait_for_url("**/staff/broadcast/sent?count=1")
            assert "已发给 1 位申请人" in await page.inner_text("main")
            await SCREENS.record(page, "04-sent")

            applicant = await (await signed_in_context(browser, url, token)).new_page()
            inbox = ""
            for _ in range(60):  # the broadcast travels the outbox and the bus
                await applicant.goto(f"{url}/portal/inbox")
                inbox = await applicant.locator("main").inner_text()
                if subject in inbox:
                    break
                await asyncio.sleep(0.5)
            assert subject in inbox, inbox
            await SCREENS.record(applicant, "05-applicant-inbox")
            assert await all_violations(applicant, "05-applicant-inbox") == []
        finally:
            await browser.close()
    assert SCREENS.serious == []
