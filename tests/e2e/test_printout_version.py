"""The printed form carries its version; an old printout is told apart (R-APP-8), in Chromium against
the whole system (`make run`).

An applicant (registered, verified and submitted through the API) downloads the form: it says
申请表版本：第 1 版. They change their email in the portal: the application page now says the printed
copy (version 1) is out of date and asks to print version 2. The staff of the point, opening the
application, see that the applicant's last printout is version 1 of 2; scanning the code of the old
printout, they see it is out of date. Once the applicant prints again (第 2 版), the notice goes.
axe finds nothing at any impact on the pages touched; screenshots in
test-artifacts/screenshots/printout-version/.
"""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect
from pypdf import PdfReader

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, all_violations, launch, signed_in_context, staff_sign_in
from tests.e2e.demo import (
    apply_through_api,
    demo_staff,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("printout-version")


def pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


async def download_pdf(page: Page, application_id: str) -> bytes:
    """The portal's download button (PDF), once the documents service has the application."""
    form_url = f"{page.url.split('/portal')[0]}/portal/applications/{application_id}/form?format=pdf"
    for _ in range(30):  # the documents service may learn of a new application a moment later
        if (await page.request.get(form_url)).ok:
            break
        await asyncio.sleep(0.5)
    async with page.expect_download() as info:
        await page.click("#download-form")
    return Path(await (await info.value).path()).read_bytes()


def form_code_of(var: Path, application_id: str) -> str:
    """The code printed on the newest rendering of the form (what a scanner types)."""
    with sqlite3.connect(var / "data" / "documents.sqlite3") as db:
        row = db.execute("SELECT code_text FROM form_renderings WHERE application_id = ? AND format = 'pdf' "
                         "ORDER BY created_at DESC LIMIT 1", (application_id,)).fetchone()
    assert row is not None
    return str(row[0])


async def test_r_app_8_an_edit_makes_the_printout_out_of_date_for_the_applicant_and_the_point(running_system):
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(url, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        submitted = await apply_through_api(applicant, holder)
        token = applicant.cookies["__Host-session"]
    app_id = submitted["application_id"]
    detail = f"{url}/portal/applications/{app_id}"
    violations: list[str] = []

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            context = await signed_in_context(browser, url, token)
            page = await context.new_page()
            await page.goto(detail)
            await expect(page.locator("#form-version")).to_contain_text("第 1 版")
            first = pdf_text(await download_pdf(page, app_id))
            assert "申请表版本：第 1 版" in first
            old_code = form_code_of(var, app_id)
            await page.goto(detail)
            assert await page.locator("#printout-stale").count() == 0

            # An edit: the page says the printout is out of date and asks for version 2.
            await page.goto(f"{detail}/edit/contact")
            await page.fill("#email", "printed.again@example.cn")
            await page.get_by_role("button", name="保存修改").click()
            await page.wait_for_url(re.compile(r"\?updated=saved$"))
            stale = page.locator("#printout-stale")
            await expect(stale).to_contain_text("第 1 版")
            await expect(stale).to_contain_text("第 2 版")
            await expect(page.locator("#form-version")).to_contain_text("第 2 版")
            await SCREENS.record(page, "1-portal-printout-out-of-date")
            violations += await all_violations(page, "1-portal-printout-out-of-date")

            # The point: opening the application, then scanning the old printout's code.
            point = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await staff_sign_in(point, url, demo_staff(var)["point11010801"])
            await point.goto(f"{url}/staff/applications/{app_id}")
            await expect(point.locator("#printout-out-of-date")).to_contain_text("第 1 版")
            await expect(point.locator("#form-version")).to_contain_text("第 2 版")
            await SCREENS.record(point, "2-point-opens-out-of-date")
            violations += await all_violations(point, "2-point-opens-out-of-date")
            await point.goto(f"{url}/staff")
            await point.fill("#query", old_code)
            await point.press("#query", "Enter")
            await point.wait_for_url(re.compile(rf"/staff/applications/{app_id}\?printout=stale$"))
            await expect(point.locator("#stale-printout")).to_contain_text("第 2 版")
            await SCREENS.record(point, "3-point-scans-old-printout")
            violations += await all_violations(point, "3-point-scans-old-printout")

            # Printed again: version 2 on the paper, and the notice is gone.
            second = pdf_text(await download_pdf(page, app_id))
            assert "申请表版本：第 2 版" in second and "printed.again@example.cn" in second
            await page.goto(detail)
            assert await page.locator("#printout-stale").count() == 0
            await point.goto(f"{url}/staff/applications/{app_id}")
            assert await point.locator("#printout-out-of-date").count() == 0
        finally:
            await browser.close()
    assert violations == []
    assert SCREENS.serious == []
