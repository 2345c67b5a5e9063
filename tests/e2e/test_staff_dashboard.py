"""The staff dashboard (issue 20 part 8) end to end: the running system, an application submitted
through the application service's gRPC API, the 海淀 authority admin and the system admin signed in
with password and TOTP, Chromium reading the page. Screenshots at 1280 and 375 px go to
test-artifacts/screenshots/dashboard/, with an axe pass on each (no serious or critical finding)."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.e2e.browser import Screens, launch
from tests.e2e.browser import staff_sign_in as sign_in
from tests.e2e.demo import demo_staff
from tests.e2e.test_staff_console import submit_application
from tools.devrun import grpc_port

SCREENS = Screens("dashboard")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_the_dashboard_shows_the_organisations_figures_as_accessible_tables(running_system) -> None:
    port = grpc_port("application", offset=running_system.port_offset)
    await submit_application(port, "110108", "11010801")
    staff = demo_staff(running_system.var)
    url = running_system.url
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            admin = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(admin, url, staff["admin110108"])
            await admin.click("nav a[href='/staff/dashboard']")
            await admin.wait_for_url("**/staff/dashboard")
            assert await admin.inner_text("main h1") == "数据概览"
            row = admin.locator("#by-point tbody tr", has=admin.locator("th", has_text="11010801"))
            assert await row.count() == 1
            total = int(await row.locator("td").last.inner_text())
            assert total >= 1
            days = admin.locator("#per-day tbody tr")
            assert await days.count() == 14
            assert int(await days.last.locator("td").first.inner_text()) >= 1  # submitted today
            assert await admin.locator("#by-authority").count() == 0  # one authority: its points
            await SCREENS.record(admin, "admin-dashboard")
            await admin.select_option("#days", "7")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**/staff/dashboard?days=7")
            assert await admin.locator("#per-day tbody tr").count() == 7

            system = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(system, url, staff["sysadmin"])
            await system.goto(f"{url}/staff/dashboard")
            assert await system.locator("#by-authority tbody th", has_text="110108").count() == 1
            await SCREENS.record(system, "sysadmin-dashboard")
        finally:
            await browser.close()
    assert SCREENS.serious == []
