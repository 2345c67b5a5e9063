"""The document number in full for the roles whose task needs it (issue 19 item 11), in Chromium
against the whole system (`make run`): R-STAFF-2, R-STAFF-3, R-STAFF-4.

An identity reviewer comparing a manual-review case with the photo of the document, and the staff of
the chosen confirmation point checking the document on site, see the masked number and a button
that shows it in full. The answer is never cached (`Cache-Control: no-store`), the number is in no
URL, and each reveal is in the service's audit log (who, what, when). An authority admin looking at
the same application keeps the masked number and no button. axe finds nothing at any impact on the
pages touched. Screenshots in test-artifacts/screenshots/document-reveal/.
"""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, all_violations, jpeg, launch, signed_in_context, staff_sign_in
from tests.e2e.demo import (
    apply_through_api,
    demo_staff,
    new_id_number,
    new_mobile,
    new_registry_holder,
    own_address,
    register,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("document-reveal")
REVEAL = "显示完整证件号码"


def audit_rows(database: Path, query: str, *params: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(database) as db:
        return list(db.execute(query, params))


async def reveal(page: Page) -> dict[str, str]:
    """Press the button; the headers of the page that answers."""
    async with page.expect_response(lambda r: r.request.method == "POST" and "/document-number" in r.url) as answer:
        await page.get_by_role("button", name=REVEAL).click()
    response = await answer.value
    await page.wait_for_load_state()
    return await response.all_headers()


async def test_r_staff_3_reviewer_reveals_the_number_of_a_manual_review_case_audited_never_cached(
        running_system, tmp_path):
    base, var = running_system.url, running_system.var
    name = "核对" + "".join(random.sample("晓明华丽静安宁远思涵", 2))
    number = new_id_number("19800315")
    async with ApiClient(base, source_address=own_address()) as api:
        await register(api, var, number, name, new_mobile())
        token = api.cookies["__Host-session"]
    photo = tmp_path / "document.jpg"
    photo.write_bytes(jpeg())
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            page = await (await signed_in_context(browser, base, token)).new_page()
            await page.goto(f"{base}/account/real-name")
            await page.get_by_role("button", name="开始实名核验").click()
            await page.get_by_role("link", name="申请人工审核").click()
            await page.set_input_files("#photo_front", str(photo))
            await page.set_input_files("#photo_back", str(photo))
            await page.get_by_role("button", name="提交人工审核").click()
            await expect(page.get_by_text(re.compile(r"预计审核完成日期"))).to_be_visible()

            reviewer = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await staff_sign_in(reviewer, base, demo_staff(var)["reviewer"])
            await reviewer.goto(f"{base}/staff/reviews")
            await reviewer.get_by_role("link", name=name, exact=True).click()
            await reviewer.wait_for_url(re.compile(r"/staff/reviews/[^/?]+$"))
            case_id = reviewer.url.rsplit("/", 1)[1]
            main = reviewer.locator("main")
            assert number not in await main.inner_text()  # masked until asked
            await SCREENS.record(reviewer, "1-review-masked")
            headers = await reveal(reviewer)
            assert headers["cache-control"] == "no-store"
            await expect(reviewer.locator("#document-number-full")).to_have_text(number)
            assert number not in reviewer.url
            await SCREENS.record(reviewer, "2-review-revealed")
            violations = await all_violations(reviewer, "2-review-revealed")
            # The decision form still works on the revealed page.
            assert await reviewer.locator("input[name=decision]").count() == 2
        finally:
            await browser.close()

    rows = audit_rows(var / "data" / "identity.sqlite3",
                      "SELECT role, action, target_kind, at FROM staff_audit WHERE target_id = ? AND action = ?",
                      case_id, "REVEAL_DOCUMENT_NUMBER")
    assert len(rows) == 1 and rows[0][0] == "IDENTITY_REVIEWER" and rows[0][3], rows
    assert violations == []
    assert SCREENS.serious == []


async def test_r_staff_2_point_staff_reveal_the_number_audited_others_keep_it_masked(running_system):
    base, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    async with ApiClient(base, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        submitted = await apply_through_api(applicant, holder)
    app_id = submitted["application_id"]
    staff = demo_staff(var)
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            admin = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await staff_sign_in(admin, base, staff["admin110108"])
            await admin.goto(f"{base}/staff/applications/{app_id}")
            assert holder.document_number not in await admin.locator("main").inner_text()
            assert await admin.get_by_role("button", name=REVEAL).count() == 0  # not the admin's task

            point = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await staff_sign_in(point, base, staff["point11010801"])
            await point.goto(f"{base}/staff/applications/{app_id}")
            assert holder.document_number not in await point.locator("main").inner_text()
            await SCREENS.record(point, "3-point-masked")
            headers = await reveal(point)
            assert headers["cache-control"] == "no-store"
            await expect(point.locator("#document-number-full")).to_have_text(holder.document_number)
            await SCREENS.record(point, "4-point-revealed")
            violations = await all_violations(point, "4-point-revealed")
            # Reloading the application afterwards shows it masked again.
            await point.goto(f"{base}/staff/applications/{app_id}")
            assert holder.document_number not in await point.locator("main").inner_text()
        finally:
            await browser.close()

    rows = audit_rows(var / "data" / "application.sqlite3",
                      "SELECT actor_role, actor_org, at FROM audit_log WHERE target_id = ? AND action = ?",
                      app_id, "REVEAL_DOCUMENT_NUMBER")
    assert [r[:2] for r in rows] == [("POINT_STAFF", "11010801")] and rows[0][2], rows
    assert violations == []
    assert SCREENS.serious == []
