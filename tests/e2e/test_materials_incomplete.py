"""Issue 19 item 19 in Chromium against the whole system: an authority keeps its own materials
checklist; its point ticks an item of it plus free text; the applicant reads the list on the
portal and says the papers are ready; the point sees each item marked, then confirms. Also the
point's email-correction form (R-APP-7). axe at any impact on every page touched; screenshots at
1280 and 375 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, all_violations, launch, signed_in_context, staff_sign_in
from tests.e2e.demo import (
    CHAOYANG,
    CHAOYANG_POINT,
    add_staff,
    apply_through_api,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("materials")


async def test_materials_incomplete_per_item_from_the_authoritys_checklist_to_the_point_again(running_system):
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        submitted = await apply_through_api(applicant, holder, authority=CHAOYANG, point=CHAOYANG_POINT)
        token = applicant.cookies["__Host-session"]
    app_id = submitted["application_id"]
    suffix = uuid.uuid4().hex[:6]
    admin_account = await add_staff(var, f"admin{CHAOYANG}-m{suffix}", "AUTHORITY_ADMIN", CHAOYANG)
    point_account = await add_staff(var, f"point{CHAOYANG_POINT}-m{suffix}", "POINT_STAFF", CHAOYANG_POINT)
    found: list[str] = []

    async def check(page: Page, name: str) -> None:
        await SCREENS.shoot(page, name)
        found.extend(await all_violations(page, name))

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            # The authority's admin sets its own checklist.
            admin = await browser.new_page(viewport={"width": 1280, "height": 900})
            await staff_sign_in(admin, url, admin_account)
            await admin.get_by_role("link", name="材料清单").first.click()
            await expect(admin.locator("h1")).to_have_text("材料清单")
            await check(admin, "checklist-default")
            await admin.fill("#lines", "签名的《教师资格定期注册申请表》 | The signed application form\n"
                                       "朝阳区师德考核表 | The Chaoyang ethics assessment form")
            await admin.get_by_role("button", name="保存清单").click()
            await expect(admin.get_by_text("材料清单已保存。")).to_be_visible()
            await check(admin, "checklist-saved")

            # The point ticks one item of it and types another.
            point = await browser.new_page(viewport={"width": 1280, "height": 900})
            await staff_sign_in(point, url, point_account)
            await point.goto(f"{url}/staff/applications/{app_id}/actions/MARK_MATERIALS_INCOMPLETE")
            await expect(point.get_by_label("朝阳区师德考核表")).to_be_visible()
            assert await point.get_by_label("体检合格证明").count() == 0  # the default is not this authority's
            await check(point, "point-mark-incomplete")
            await point.get_by_label("朝阳区师德考核表").check()
            await point.fill("#other-materials", "单位出具的任教证明")
            await point.click("main form button[type=submit]")
            await point.wait_for_url("**?done=MARK_MATERIALS_INCOMPLETE")

            # The applicant reads the list and says the papers are ready.
            context = await signed_in_context(browser, url, token)
            portal = await context.new_page()
            await portal.goto(f"{url}/portal/applications/{app_id}")
            missing = portal.locator("#missing-materials li")
            await expect(missing).to_have_text(["朝阳区师德考核表", "单位出具的任教证明"])
            await check(portal, "portal-incomplete")
            await portal.get_by_role("button", name="材料已备齐，告知确认点").click()
            await portal.wait_for_url(re.compile(r"\?updated=materials$"))
            await expect(portal.locator("#materials-ready")).to_contain_text("您已于")
            await check(portal, "portal-materials-ready")

            # The point sees each item marked, and confirms once it has checked them.
            await point.goto(f"{url}/staff/applications/{app_id}")
            marked = point.locator("#missing-materials-list")
            await expect(marked).to_contain_text("申请人已于")
            await expect(marked.locator("li")).to_have_text(["待核对 朝阳区师德考核表", "待核对 单位出具的任教证明"])
            await check(point, "point-application-resubmitted")
            await point.click("a[href$='/actions/CONFIRM_ON_SITE']")
            await expect(point.get_by_text("请逐项核对申请人补交的材料")).to_be_visible()
            await check(point, "point-confirm-checks")
            await point.click("main form button[type=submit]")
            await point.wait_for_url("**?done=CONFIRM_ON_SITE")

            # R-APP-7: the point's email-correction form.
            await point.goto(f"{url}/staff/applications/{app_id}/email")
            await expect(point.get_by_text("申请人账号的邮箱随之更改")).to_be_visible()
            await check(point, "point-correct-email")
        finally:
            await browser.close()
    assert found == []
