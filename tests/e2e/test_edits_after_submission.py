"""Edits after submission in Chromium against the whole system (`make run`), R-APP-6.

A new applicant (registered, verified and submitted through the API with a certificate number the
registry does not know, so the certificate section stays theirs to edit) applied to 北京市海淀区's
first point. While the application waits for confirmation they change, in the portal, the
confirmation point (a point whose confirmation window has ended is not offered), 现任教学段 and
现任教学科, and the certificate number: an empty number and one longer than 17 characters are
refused beside the field in both languages; a 16-digit number is the step-3 warning, and
"仍然继续" keeps it. The application number never changes. axe finds nothing at any impact on
the pages touched; screenshots in test-artifacts/screenshots/edits-after-submission/.
"""

from __future__ import annotations

import asyncio
import random
import re
import uuid
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright, expect
from tqr_application.domain.reference import RegistryCertificate

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, all_violations, launch, signed_in_context
from tests.e2e.demo import (
    HAIDIAN,
    HAIDIAN_POINT,
    materials,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("edits-after-submission")
SECOND_POINT, ENDED_POINT = "11010802", "11010803"  # demo: 海淀's 3rd point's window has ended
WARNINGS = ["R-WIZ-4-BIRTH_DATE", "R-WIZ-4-HOLDER_NAME", "R-WIZ-4-PROVINCE"]


async def apply_self_filled(api: ApiClient, holder: RegistryCertificate, number: str) -> dict[str, Any]:
    """The wizard through the API with a certificate number not on record: the applicant fills
    the certificate data (not locked), then submits to 海淀's first point."""
    draft = "/api/v1/applications/draft"

    async def put(step: str, body: dict[str, Any]) -> dict[str, Any]:
        for _ in range(10):
            reply = await api.request("PUT", f"{draft}/steps/{step}", json=body)
            if reply.status_code == 200:
                return dict(reply.json())
            if step == "must-read" and reply.status_code in (409, 422):  # R-WIZ-1: 3 s not yet over
                await asyncio.sleep(0.5)
                continue
            break
        raise AssertionError(f"{step}: {reply.status_code} {reply.text}")

    assert (await api.request("GET", draft)).status_code == 200
    await asyncio.sleep(3.1)
    await put("must-read", {})
    await put("terms", {"accept": True})
    found = await put("certificate-lookup", {"certificate_number": number})
    assert not found["draft"]["certificate"]["locked"]
    await put("certificate-details", {
        "holder_name": holder.holder_name, "certificate_type_code": holder.certificate_type_code,
        "subject_code": holder.subject_code, "issuing_body": holder.issuing_body,
        "issue_date": holder.issue_date.isoformat(), "gender": holder.gender,
        "birth_date": holder.birth_date.isoformat() if holder.birth_date else "",
        "authority_code": HAIDIAN, "teaching_stage_code": "PRIMARY", "teaching_subject_code": "MATH",
        "override_warnings": WARNINGS})
    await put("point", {"point_code": HAIDIAN_POINT})
    await put("notes", {"read": True})
    await put("materials", {"materials": materials(f"t{uuid.uuid4().hex[:8]}@example.cn")})
    submitted = await api.request("POST", f"{draft}/submit", json={}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert submitted.status_code == 201, submitted.text
    return dict(submitted.json())


async def row_value(page: Page, key: str) -> str:
    row = page.locator(".summary-list__row", has=page.locator(".summary-list__key", has_text=key)).last
    return (await row.locator(".summary-list__value").inner_text()).strip()


async def change(page: Page, key: str) -> None:
    row = page.locator(".summary-list__row", has=page.locator(".summary-list__key", has_text=key)).last
    await row.locator(".summary-list__actions a").click()
    await page.wait_for_load_state()


async def test_r_app_6_point_teaching_and_certificate_number_edited_while_submitted(running_system):
    url, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    filed = f"2015110{random.randrange(10**10):010d}"
    async with ApiClient(url, source_address=own_address()) as applicant:
        await register_and_verify(applicant, var, holder, new_mobile())
        submitted = await apply_self_filled(applicant, holder, filed)
        token = applicant.cookies["__Host-session"]
    app_id, number = submitted["application_id"], submitted["application_number"]
    detail = f"{url}/portal/applications/{app_id}"
    violations: list[str] = []

    async with async_playwright() as p:
        browser = await launch(p)
        try:
            context = await signed_in_context(browser, url, token)
            page = await context.new_page()
            await page.goto(detail)
            await SCREENS.record(page, "1-submitted")
            violations += await all_violations(page, "1-submitted")

            # The confirmation point: another of the plan; one whose window has ended is not offered.
            await change(page, "现场确认点")
            await expect(page).to_have_url(f"{detail}/edit/point")
            assert await page.locator(f"input[name=point_code][value='{ENDED_POINT}']").count() == 0
            await expect(page.locator("main")).to_contain_text(number)  # the number stays
            await page.locator(f"input[name=point_code][value='{SECOND_POINT}']").check()
            await SCREENS.record(page, "2-edit-point")
            violations += await all_violations(page, "2-edit-point")
            await page.get_by_role("button", name="保存修改").click()
            await page.wait_for_url(re.compile(r"\?updated=saved$"))
            assert await row_value(page, "现场确认点") == "海淀区教育考试中心确认点"

            # 现任教学段 and 现任教学科.
            await change(page, "现任教学段")
            await expect(page).to_have_url(f"{detail}/edit/teaching")
            await page.select_option("#teaching_stage_code", label="初级中学")
            await page.select_option("#teaching_subject_code", label="语文")
            await SCREENS.record(page, "3-edit-teaching")
            violations += await all_violations(page, "3-edit-teaching")
            await page.get_by_role("button", name="保存修改").click()
            await page.wait_for_url(re.compile(r"\?updated=saved$"))
            assert await row_value(page, "现任教学段") == "初级中学"
            assert await row_value(page, "现任教学科") == "语文"

            # The certificate number, checked as at step 3.
            await change(page, "证书号码")
            await expect(page).to_have_url(f"{detail}/edit/certificate")
            save = page.get_by_role("button", name="保存修改")
            await page.fill("#certificate_number", "")
            await save.click()
            await expect(page.locator("#certificate_number-error")).to_contain_text("请填写教师资格证书号码")
            await page.fill("#certificate_number", "2015 1101 2345 6789 01")  # 18 digits once spaces go
            await save.click()
            await expect(page.locator("#certificate_number-error")).to_contain_text("最多 17 位")
            await SCREENS.record(page, "4-edit-certificate-too-long")
            violations += await all_violations(page, "4-edit-certificate-too-long")
            await page.fill("#certificate_number", "2015110123456789")  # 16 digits: a warning
            await save.click()
            await expect(page.locator(".warning-block")).to_contain_text("15 位或 17 位")
            await SCREENS.record(page, "5-edit-certificate-warning")
            violations += await all_violations(page, "5-edit-certificate-warning")
            await page.get_by_role("button", name="仍然继续").click()
            await page.wait_for_url(re.compile(r"\?updated=saved$"))
            assert await row_value(page, "证书号码") == "2015110123456789"
            await SCREENS.record(page, "6-edited")
            violations += await all_violations(page, "6-edited")

            # The same refusal in English.
            await page.goto(f"{detail}/edit/certificate")
            await page.click(".site-header__lang")
            await page.wait_for_load_state()
            await page.fill("#certificate_number", "A" * 18)
            await page.get_by_role("button", name="Save changes").click()
            await expect(page.locator("#certificate_number-error")).to_contain_text("at most 17 characters")
        finally:
            await browser.close()

    async with ApiClient(url) as check:  # the service agrees with the pages; the number stayed
        check.cookies["__Host-session"] = token
        view = (await check.request("GET", f"/api/v1/applications/{app_id}")).json()
    assert view["application_number"] == number and view["status"]["status"] == "SUBMITTED"
    assert view["point"]["point_code"] == SECOND_POINT
    assert (view["teaching_stage_code"], view["teaching_subject_code"]) == ("JUNIOR_SECONDARY", "CHINESE")
    assert view["certificate"]["certificate_number"] == "2015110123456789"
    assert view["edit_revision"] == 4
    assert violations == []
    assert SCREENS.serious == []
