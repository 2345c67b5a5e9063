"""A wrong-authority correction in Chromium against the whole system (`make run`), R-APP-2/R-APP-3.

A new applicant (registered, verified and submitted through the API) applied to 北京市海淀区. The
海淀 point staff mark it WRONG_AUTHORITY with a reason; the applicant sees the status and the
reason in the portal, chooses 北京市朝阳区 and one of its points inside that plan's window, and
the application is back to 信息提交成功，等待现场确认 with the new authority and point, and the
change kept in the timeline. Screenshots go to test-artifacts/screenshots/wrong-authority/.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, launch, signed_in_context, staff_sign_in
from tests.e2e.demo import (
    CHAOYANG,
    CHAOYANG_POINT,
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("wrong-authority")
REASON = "您任教的学校在朝阳区，请改选北京市朝阳区教育委员会。"
SUBMITTED_LABEL = "信息提交成功，等待现场确认"
WRONG_AUTHORITY_LABEL = "经审核您选错了注册机构。请更正"


async def test_r_app_2_r_app_3_wrong_authority_is_corrected_by_the_applicant_inside_the_window(running_system):
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        submitted = await apply_through_api(applicant, holder)
        token = applicant.cookies["__Host-session"]
    app_id, number = submitted["application_id"], submitted["application_number"]

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            # The point: the application by its number, then "选错注册机构" with the reason.
            point = await browser.new_page(viewport={"width": 1280, "height": 900})
            await staff_sign_in(point, url, demo_staff(var)["point11010801"])
            await point.fill("#query", number)
            await point.press("#query", "Enter")
            await point.wait_for_url(f"**/staff/applications/{app_id}")
            await point.click("a[href$='/actions/MARK_WRONG_AUTHORITY']")
            await point.click("main form button[type=submit]")  # no reason: refused beside the field
            assert await point.locator(".error-summary").count() == 1
            await point.fill("#reason", REASON)
            await SCREENS.record(point, "1-point-marks-wrong-authority")
            await point.click("main form button[type=submit]")
            await point.wait_for_url("**?done=MARK_WRONG_AUTHORITY")
            assert WRONG_AUTHORITY_LABEL in await point.inner_text("main")
            await SCREENS.record(point, "2-point-recorded")

            # The applicant: the status, its reason and the way to correct it.
            context = await signed_in_context(browser, url, token)
            page = await context.new_page()
            await page.goto(f"{url}/portal/applications/{app_id}")
            main = page.locator("main")
            await expect(main.locator(".tag").first).to_have_text(WRONG_AUTHORITY_LABEL)
            await expect(main.locator(".timeline")).to_contain_text(REASON)
            await SCREENS.record(page, "3-applicant-sees-wrong-authority")
            # R-APP-3: only the authority and point may change now.
            assert await main.locator("a[href$='/edit/certificate'], a[href$='/edit/materials']").count() == 0

            await page.get_by_role("button", name="改选注册机构和确认点").click()
            await page.wait_for_url(f"**/portal/applications/{app_id}/correct-authority")
            await SCREENS.record(page, "4-correct-choose-authority")
            await page.select_option("#authority_code", CHAOYANG)
            await page.get_by_role("button", name="显示确认点").click()
            await page.wait_for_load_state()
            await page.locator(f"input[name=point_code][value='{CHAOYANG_POINT}']").check()
            await SCREENS.record(page, "5-correct-choose-point")
            await page.get_by_role("button", name="提交更正", exact=True).click()
            await page.wait_for_url(re.compile(rf"/portal/applications/{app_id}\?updated=authority$"))

            await expect(main.locator(".tag").first).to_have_text(SUBMITTED_LABEL)
            text = await main.inner_text()
            assert "北京市朝阳区" in text, text
            timeline = await main.locator(".timeline").inner_text()
            assert WRONG_AUTHORITY_LABEL in timeline and REASON in timeline and SUBMITTED_LABEL in timeline
            await SCREENS.record(page, "6-applicant-corrected")

            # The correction happened: the way to correct the authority is gone.
            assert await page.locator("a[href$='/correct-authority']").count() == 0
        finally:
            await browser.close()

    async with ApiClient(url) as check:  # the service agrees with the page
        check.cookies["__Host-session"] = token
        view = (await check.request("GET", f"/api/v1/applications/{app_id}")).json()
        assert view["status"]["status"] == "SUBMITTED"
        assert view["authority_code"] == CHAOYANG and view["point"]["point_code"] == CHAOYANG_POINT
        assert [h["to_status"] for h in view["history"]][-2:] == ["WRONG_AUTHORITY", "SUBMITTED"]
    assert SCREENS.serious == []
