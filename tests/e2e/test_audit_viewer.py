"""The audit viewer and the applicant's view of it end to end (R-STAFF-9): the running system,
Chromium, the demo staff accounts.

A new applicant applies to 北京市海淀区 through the API. The 海淀 point staff open the application
in the console. The 海淀 authority admin searches the audit log by the application number, sees
that look (by the point, newest first), pages nothing more, and downloads the .xlsx export, which
opens with openpyxl and holds the page's rows. The applicant's application page then names the
point and the time, and neither the staff member's username nor name nor role. Screenshots at 1280
and 375 px go to test-artifacts/screenshots/audit/.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.async_api import async_playwright

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, launch, signed_in_context, staff_sign_in
from tests.e2e.demo import (
    HAIDIAN_POINT,
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("audit")


async def test_r_staff_9_admin_reads_the_audit_log_exports_it_and_the_applicant_sees_the_organisation_only(
        running_system) -> None:
    url, var = running_system.url, running_system.var
    staff = demo_staff(var)
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        submitted = await apply_through_api(applicant, holder)
        token = applicant.cookies["__Host-session"]
    app_id, number = submitted["application_id"], submitted["application_number"]

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            # The point opens the application (found by its number, as a scanner types it).
            point = await browser.new_page(viewport={"width": 1280, "height": 900})
            await staff_sign_in(point, url, staff["point11010801"])
            await point.fill("#query", number)
            await point.press("#query", "Enter")
            await point.wait_for_url(f"**/staff/applications/{app_id}")

            # The authority admin: the audit log, filtered by the number.
            context = await browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            admin = await context.new_page()
            await staff_sign_in(admin, url, staff["admin110108"])
            await admin.click("nav a[href='/staff/audit']")
            await admin.wait_for_url("**/staff/audit")
            await admin.fill("#target", number)
            await admin.click("#audit-filters button[type=submit]")
            await admin.wait_for_url("**/staff/audit?*")
            table = admin.locator("main table.table tbody")
            rows = [[c.strip() for c in await row.locator("td").all_inner_texts()]
                    for row in await table.locator("tr").all()]
            assert rows and all(row[2] == HAIDIAN_POINT for row in rows), rows
            assert rows[0][5] == "查看申请" and rows[0][6] == f"application: {app_id}", rows
            assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)
            await SCREENS.record(admin, "1-admin-audit-log")

            async with admin.expect_download() as waiting:
                await admin.click("#audit-export")
            download = await waiting.value
            assert download.suggested_filename.startswith("audit-") and download.suggested_filename.endswith(".xlsx")
            sheet = load_workbook(io.BytesIO((await download.path()).read_bytes())).active
            exported = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
            assert exported[0][0] == "时间（北京时间）" and exported[1:] == rows

            # The applicant: which organisation looked, and when; never who.
            applicant_context = await signed_in_context(browser, url, token)
            page = await applicant_context.new_page()
            await page.goto(f"{url}/portal/applications/{app_id}")
            access = await page.locator("#access").inner_text()
            assert "确认点" in access and "查看了您的申请" in access, access
            page_text = await page.locator("main").inner_text()
            for leak in ("point11010801", "海淀区第一确认点工作人员", "POINT_STAFF", "现场确认点工作人员"):
                assert leak not in page_text, leak
            await SCREENS.record(page, "2-applicant-sees-the-organisation")
        finally:
            await browser.close()
    assert SCREENS.serious == []
