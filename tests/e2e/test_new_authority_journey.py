"""A new authority set up from nothing to its first registration (issue 20): the running system,
Chromium, one browser context per person.

1. The guiding centre (the demo system admin) imports the new county 门头沟区, its authority and
   its confirmation point from CSV files in the console, previewed first (R-REF-3), and opens an
   account for the authority's administrator (R-STAFF-5).
2. That administrator enrols with the one-time setup code (password, TOTP from the secret on the
   page, recovery codes), opens an account for the point's staff, and publishes a registration
   plan with the point's confirmation window (R-PLAN-1).
3. The point's staff member enrols the same way.
4. An applicant applies to the new authority through the JSON API; the point's staff member finds
   the application by its number and confirms it on site in the console.
5. The administrator approves it with a bulk decision (R-STAFF-6) and reads its result.

Screenshots and an axe pass of the new authority's pages: test-artifacts/screenshots/new-authority/.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, launch
from tests.e2e.browser import staff_sign_in as sign_in
from tests.e2e.demo import (
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)
from tests.e2e.test_staff_administration import create_account

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.adds_reference_data]
SCREENS = Screens("new-authority")
BEIJING = ZoneInfo("Asia/Shanghai")
AUTHORITY, POINT = "110109", "11010901"
FILES = {
    "regions.csv": "code,name,level,parent_code\n110109,门头沟区,COUNTY,110100\n",
    "authorities.csv": "code,name,region_code,address,phone\n"
                       "110109,北京市门头沟区教育委员会,110109,北京市门头沟区新桥大街1号,010-69842000\n",
    "confirmation_points.csv": "code,authority_code,name,address,phone,scope\n"
                               "11010901,110109,门头沟区教师发展中心确认点,北京市门头沟区新桥大街2号,010-69842001,"
                               "门头沟区中小学、幼儿园在职教师\n",
}
PASSWORD = "Mentougou#2026ok"


def local(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M")


async def enrol(browser: Browser, url: str, username: str, setup_code: str) -> Page:
    """First sign-in with the setup code: password, TOTP from the page's secret, recovery codes."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{url}/staff/enrol")
    await page.fill("#username", username)
    await page.fill("#setup_code", setup_code)
    await page.click("form[action='/staff/enrol'] button[type=submit]")
    secret = (await page.inner_text("#totp-secret")).strip()
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await page.fill("#totp_code", pyotp.TOTP(secret).now())
    await page.click("form[action='/staff/enrol/finish'] button[type=submit]")
    await page.locator(".staff-recovery-codes li").first.wait_for()
    await page.click("a[href='/staff']")
    await page.wait_for_url("**/staff")
    return page


async def test_a_new_authority_from_its_reference_data_to_a_bulk_approval(running_system, tmp_path: Path) -> None:
    url, var = running_system.url, running_system.var
    staff = demo_staff(var)
    suffix = uuid.uuid4().hex[:6]
    admin_name, point_name = f"admin{AUTHORITY}-{suffix}", f"point{POINT}-{suffix}"
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    now = datetime.now(BEIJING)

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            # 1. The guiding centre: reference data, then the authority's administrator.
            centre = await browser.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(centre, url, staff["sysadmin"])
            await centre.goto(f"{url}/staff/reference/import")
            for name in FILES:
                await centre.set_input_files(f"#{name.replace('.', chr(92) + '.')}", str(tmp_path / name))
            await centre.get_by_role("button", name="预览").click()
            await centre.get_by_role("heading", name="预览：将要新增的内容").wait_for()
            assert "门头沟区教师发展中心确认点" in await centre.inner_text("main")
            await centre.get_by_role("button", name="确认导入").click()
            await centre.get_by_role("heading", name="已导入").wait_for()
            await create_account(centre, url, admin_name, "门头沟区注册机构管理员", "AUTHORITY_ADMIN", AUTHORITY)
            admin_code = (await centre.inner_text("#setup-code")).strip()

            # 2. The administrator: enrolment, the point's staff, the plan.
            admin = await enrol(browser, url, admin_name, admin_code)
            await create_account(admin, url, point_name, "门头沟区确认点工作人员", "POINT_STAFF", POINT)
            point_code = (await admin.inner_text("#setup-code")).strip()
            await admin.goto(f"{url}/staff/plans/new")
            await admin.fill("#name", "2026年门头沟区中小学教师资格定期注册")
            await admin.fill("#online-start", local(now - timedelta(hours=1)))
            await admin.fill("#online-end", local(now + timedelta(days=14)))
            await admin.check(f"#include-{POINT}")
            await admin.fill(f"#start-{POINT}", local(now - timedelta(hours=1)))
            await admin.fill(f"#end-{POINT}", local(now + timedelta(days=30)))
            await SCREENS.record(admin, "1-plan")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**/staff/plans*")
            assert "2026年门头沟区中小学教师资格定期注册" in await admin.inner_text("main")

            # 3. The point's staff member enrols.
            point = await enrol(browser, url, point_name, point_code)

            # 4. An applicant applies to the new authority; the point confirms on site.
            holder = new_registry_holder(var)
            async with ApiClient(url, source_address=own_address()) as applicant:
                await register_and_verify(applicant, var, holder, new_mobile())
                submitted = await apply_through_api(applicant, holder, authority=AUTHORITY, point=POINT)
            application_id, number = submitted["application_id"], submitted["application_number"]
            await point.fill("#query", number)
            await point.press("#query", "Enter")
            await point.wait_for_url(f"**/staff/applications/{application_id}")
            await SCREENS.record(point, "2-point-application")
            await point.click("a[href$='/actions/CONFIRM_ON_SITE']")
            await point.click("main form button[type=submit]")
            await point.wait_for_url("**?done=CONFIRM_ON_SITE")

            # 5. The administrator approves it in bulk.
            await admin.goto(f"{url}/staff/applications")
            await admin.check(f"input[name=ids][value='{application_id}']")
            await admin.select_option("#bulk-action", "APPROVE_REGISTERED")
            await admin.click("button[name=scope][value=selected]")
            await admin.wait_for_url("**/staff/applications/bulk")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**/staff/applications/bulk/confirm")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**/staff/applications/bulk/run")
            assert "办理成功 1 份" in await admin.inner_text("main")
            await SCREENS.record(admin, "3-bulk-result")
        finally:
            await browser.close()
    assert SCREENS.serious == []
