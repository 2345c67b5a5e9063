"""Setting up a new authority's staff end to end (R-STAFF-5): the running system, Chromium.

The demo system administrator opens an account for a new authority's administrator and reads its
one-time setup code; that administrator signs in for the first time in a browser of their own,
chooses a password, enrols TOTP from the secret on the page (the code is computed here as an
authenticator app would) and receives recovery codes; then opens an account for the staff of one of
the authority's points, and is refused one for another authority's point. Every new page is checked
with axe (no violations at all) and shot at 1280 and 375 px into test-artifacts/screenshots/staff-admin/.
"""

from __future__ import annotations

import uuid

import pyotp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright

from tests.e2e.browser import Screens, launch
from tests.e2e.browser import staff_sign_in as sign_in
from tests.e2e.demo import demo_staff

SCREENS = Screens("staff-admin")
PASSWORD = "Chaoyang#2026ok"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def check(page: Page, name: str, violations: list[str]) -> None:
    """Screenshots at both widths and every axe violation, whatever its impact."""
    await SCREENS.shoot(page, name)
    results = await Axe().run(page)
    violations += [f"{name}: {v['id']} ({v.get('impact')})" for v in results.response["violations"]]


async def create_account(page: Page, url: str, username: str, name: str, role: str, organisation: str) -> None:
    await page.goto(f"{url}/staff/people")
    await page.fill("#username", username)
    await page.fill("#display-name", name)
    await page.select_option("#role", role)
    await page.fill("#organisation-code", organisation)
    await page.click("form[action='/staff/people'] button[type=submit]")


async def test_r_staff_5_a_new_authority_is_set_up_from_the_system_admin_to_point_staff(running_system) -> None:
    staff = demo_staff(running_system.var)
    url = running_system.url
    suffix = uuid.uuid4().hex[:6]
    admin_name, point_name = f"admin110105-{suffix}", f"point11010501-{suffix}"
    violations: list[str] = []
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            system = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(system, url, staff["sysadmin"])
            await system.goto(f"{url}/staff/people")
            await check(system, "people-system-admin", violations)
            await create_account(system, url, admin_name, "朝阳区注册机构管理员", "AUTHORITY_ADMIN", "110105")
            setup_code = (await system.inner_text("#setup-code")).strip()
            assert len(setup_code) == 19, setup_code
            await check(system, "setup-code", violations)
            await system.goto(f"{url}/staff/unlock")
            await check(system, "unlock", violations)

            # The new administrator, in a browser of their own.
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            admin = await context.new_page()
            await admin.goto(f"{url}/staff/login")
            await admin.click("a[href='/staff/enrol']")
            await check(admin, "enrol-start", violations)
            await admin.fill("#username", admin_name)
            await admin.fill("#setup_code", setup_code)
            await admin.click("form[action='/staff/enrol'] button[type=submit]")
            await admin.locator("svg[role=img]").wait_for()
            await check(admin, "enrol-totp", violations)
            secret = (await admin.inner_text("#totp-secret")).strip()
            await admin.fill("#password", PASSWORD)
            await admin.fill("#password_confirm", PASSWORD)
            await admin.fill("#totp_code", pyotp.TOTP(secret).now())
            await admin.click("form[action='/staff/enrol/finish'] button[type=submit]")
            codes = admin.locator(".staff-recovery-codes li")
            await codes.first.wait_for()
            assert await codes.count() == 10
            await check(admin, "enrol-recovery-codes", violations)
            await admin.click("a[href='/staff']")
            await admin.wait_for_url("**/staff")
            assert "朝阳区注册机构管理员" in await admin.inner_text("body")

            # R-STAFF-5: point staff of its own authority, not of another's.
            await create_account(admin, url, point_name, "朝阳区第一确认点工作人员", "POINT_STAFF", "11010501")
            assert len((await admin.inner_text("#setup-code")).strip()) == 19
            await create_account(admin, url, f"x{point_name}", "别的区", "POINT_STAFF", "11010801")
            assert "您不能管理此账号或此机构的人员" in await admin.inner_text("main")
            await admin.goto(f"{url}/staff/people")
            assert point_name in await admin.inner_text("main")
            assert f"x{point_name}" not in await admin.inner_text("main")
            await check(admin, "people-authority-admin", violations)
        finally:
            await browser.close()
    assert violations == []
