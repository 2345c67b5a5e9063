"""R-PUB-1 in Chromium against the whole system: a teacher's application is decided (注册合格)
through the staff API, then anyone — not signed in — checks the result on 注册结果查询 with the
certificate number, the name and the text human check, and sees the result and its date only.
A wrong name gets the plain "no result" answer. axe finds nothing at any impact; the page is shot
at 1280 and 375 px (test-artifacts/screenshots/result-check/)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, launch, use_text_check
from tests.e2e.demo import (
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
    staff_api_sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def registered_holder(running_system: Any) -> Any:
    """A registry holder whose application the demo point confirms and the demo authority approves."""
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as teacher:
        await register_and_verify(teacher, var, holder, new_mobile())
        submitted = await apply_through_api(teacher, holder)
    staff = demo_staff(var)
    path = f"/api/v1/staff/applications/{submitted['application_id']}"
    async with ApiClient(url) as point, ApiClient(url) as admin:
        await staff_api_sign_in(point, staff["point11010801"])
        await staff_api_sign_in(admin, staff["admin110108"])
        version = (await point.request("GET", path)).json()["version"]
        confirmed = await point.request("POST", f"{path}/actions", json={
            "action": "CONFIRM_ON_SITE", "reason": "", "missing_materials": [], "expected_version": version})
        assert confirmed.status_code == 200, confirmed.text
        approved = await admin.request("POST", f"{path}/actions", json={
            "action": "APPROVE_REGISTERED", "reason": "材料齐全，注册合格。", "missing_materials": [],
            "expected_version": confirmed.json()["version"]})
        assert approved.status_code == 200, approved.text
    return holder


async def ask(page: Page, base: str, number: str, name: str) -> None:
    await page.goto(f"{base}/result-check")
    await use_text_check(page)
    await page.fill("#certificate_number", number)
    await page.fill("#name", name)
    await page.get_by_role("button", name="查询", exact=True).click()
    await page.wait_for_load_state()


async def no_violations(page: Page) -> None:
    violations = (await Axe().run(page)).response["violations"]
    assert [v["id"] for v in violations] == [], violations


async def test_r_pub_1_anyone_checks_a_registration_result_in_chromium(running_system: Any) -> None:
    base = running_system.url
    holder = await registered_holder(running_system)
    screens = Screens("result-check")
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = await context.new_page()  # nobody signed in

        await page.goto(base + "/")
        await page.click("#result-check-link")
        await page.wait_for_url("**/result-check")
        await no_violations(page)
        await screens.shoot(page, "result-check-form")

        await ask(page, base, holder.certificate_number, holder.holder_name)
        assert (await page.locator("#result-value").inner_text()).strip() == "注册合格"
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the decision was made just now
        assert (await page.locator("#result-date").inner_text()).strip() == f"{today.year}年{today.month}月{today.day}日"
        answer = await page.locator("#result-answer").inner_text()
        assert holder.document_number not in await page.content()  # nothing personal beyond the result
        assert not re.search(r"\d{18}", answer)
        await no_violations(page)
        await screens.shoot(page, "result-check-found")

        await ask(page, base, holder.certificate_number, holder.holder_name + "某")
        assert await page.locator("#result-none").count() == 1 and await page.locator("#result-value").count() == 0
        await no_violations(page)
        await screens.shoot(page, "result-check-none")

        await page.goto(f"{base}/result-check")
        await use_text_check(page)
        await page.get_by_role("button", name="查询", exact=True).click()
        await page.wait_for_load_state()
        assert await page.locator("#certificate_number-error").count() == 1  # told beside the field
        await no_violations(page)
        await screens.shoot(page, "result-check-error")
        await browser.close()
