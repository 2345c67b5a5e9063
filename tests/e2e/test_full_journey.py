"""One journey across every area, in Chromium against the whole system as `make run` starts it.

A new person (a holder in the demo certificate registry without an account) registers with the
text check and the SMS code from the development outbox, is signed in at once, verifies their
real name (R-ID-9), walks all 8 wizard steps — the registry match fills and locks the certificate
(R-WIZ-3/4) — to 北京市海淀区 and its point 11010801, submits (R-WIZ-8) and downloads the form as
PDF from the portal (R-APP-5). In other browser contexts the point staff find the application by
its number and confirm it (R-STAFF-2); the 海淀 authority admin posts a message and approves it
with a reason (R-STAFF-1). Back in the applicant's context the portal shows 注册合格, every change
in the timeline with the reason, and the message (R-APP-2, R-APP-4); the inbox has the
notifications. Screenshots of every step at 1280 and 375 px in test-artifacts/screenshots/journey/.

The manual-review path (R-ID-9, R-STAFF-3): a person the identity authority does not know fails
verification, asks for a manual review with photos of the document, an identity reviewer approves
it in the staff console, and the person is verified and may start the wizard.
"""

from __future__ import annotations

import asyncio
import io
import random
import re
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect
from pypdf import PdfReader

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import (
    Screens,
    Walk,
    all_violations,
    code_from_outbox,
    fill_materials_pages,
    jpeg,
    launch,
    signed_in_context,
    staff_sign_in,
    use_text_check,
)
from tests.e2e.demo import (
    HAIDIAN,
    HAIDIAN_POINT,
    PASSWORD,
    demo_staff,
    new_id_number,
    new_mobile,
    new_registry_holder,
    own_address,
    register,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("journey")
MESSAGE = "请于确认时携带近五年继续教育学时证明原件。"
DECISION_REASON = "材料齐全，师德和年度考核合格，继续教育学时达标，注册合格。"
STATUS_LABELS = ("信息提交成功，等待现场确认", "信息已确认，待审批", "注册合格")


async def register_and_verify(page: Page, base: str, holder, mobile: str) -> None:
    """Agreement, details, text check + SMS code from the outbox page, password; then R-ID-9."""
    await page.goto(f"{base}/account/register")
    await SCREENS.record(page, "01-register-agreement")
    await page.get_by_label("我已阅读并同意用户协议").check()
    await page.get_by_role("button", name="同意并继续").click()
    await page.select_option("#document_type", "ID_CARD")
    await page.fill("#document_number", holder.document_number)
    await page.fill("#name", holder.holder_name)
    await page.fill("#mobile", mobile)
    await page.fill("#email", "journey.teacher@example.cn")
    await SCREENS.record(page, "02-register-details")
    await page.get_by_role("button", name="继续").click()
    await expect(page.locator("h1")).to_have_text("验证您的手机")
    await use_text_check(page)
    await SCREENS.record(page, "03-register-mobile-text-check")
    await page.get_by_role("button", name="获取短信验证码").click()
    await expect(page.get_by_text(f"验证码已发送至 {mobile[:3]}****{mobile[-4:]}")).to_be_visible()
    outbox = await page.context.new_page()
    code = await code_from_outbox(outbox, base, mobile[-4:])
    await outbox.close()
    await page.fill("#sms_code", code)
    await page.fill("#password", PASSWORD)
    await page.fill("#password_confirm", PASSWORD)
    await SCREENS.record(page, "04-register-finish")
    await page.get_by_role("button", name="注册").click()
    await page.wait_for_url(re.compile(r"/account/real-name\?welcome=1$"))  # signed in by the code
    await SCREENS.record(page, "05-real-name")
    await page.get_by_role("button", name="开始实名核验").click()
    await expect(page.get_by_text("恭喜您，已通过实名核验").first).to_be_visible()
    await SCREENS.record(page, "06-real-name-verified")


async def apply(walk: Walk, base: str, certificate_number: str) -> str:
    """All 8 wizard steps with the mouse; the application number."""
    page = walk.page
    await page.goto(f"{base}/apply")
    await page.wait_for_url("**/apply/step/1")
    await walk.record("07-wizard-step1-must-read")
    await expect(page.locator("#continue")).to_be_enabled(timeout=6000)  # R-WIZ-1
    await page.click("#continue")
    await page.wait_for_url("**/apply/step/2")
    await walk.record("08-wizard-step2-terms")
    await page.check("input[name=accept][value=yes]")
    await walk.next()
    assert page.url.endswith("/apply/step/3"), page.url
    await page.fill("#certificate_number", certificate_number)
    await walk.record("09-wizard-step3-certificate-number")
    await walk.next()
    assert page.url.endswith("/apply/step/4"), page.url

    # R-WIZ-3/4: the registry record fills the certificate section and locks it.
    main = page.locator("main")
    await expect(main).to_contain_text("以下信息来自记录，不能修改")
    await expect(main).to_contain_text(certificate_number)
    assert await page.locator("#holder_name, #issuing_body, #certificate_type_code").count() == 0
    await page.select_option("#authority_code", HAIDIAN)
    for select in ("teaching_stage_code", "teaching_subject_code"):
        await page.select_option(f"#{select}", index=1)
    await walk.record("10-wizard-step4-certificate-locked")
    await walk.next()
    assert page.url.endswith("/apply/step/5"), await main.inner_text()

    await page.locator(f"input[name=point_code][value='{HAIDIAN_POINT}']").check()
    await walk.record("11-wizard-step5-point")
    await walk.next()
    await walk.record("12-wizard-step6-notes")
    await walk.next("已阅读并下一步")
    assert page.url.endswith("/apply/step/7/contact"), page.url

    await walk.record("13-wizard-step7-materials")
    await fill_materials_pages(walk, "journey.teacher@example.cn", "海淀区中关村第一小学", "语文教师", "2014-09-01")
    assert page.url.endswith("/apply/check"), await main.inner_text()

    await walk.record("14-wizard-check-answers")
    await page.get_by_role("button", name="提交申请").click()
    await page.wait_for_url(re.compile(r".*/apply/done/.+"))
    await walk.record("15-wizard-step8-done")
    return (await page.locator("#application-number").inner_text()).strip()


async def download_pdf(page: Page, application_id: str) -> bytes:
    """R-APP-5 from the portal: PDF chosen, the download button."""
    form_url = f"{page.url.split('/portal')[0]}/portal/applications/{application_id}/form?format=pdf"
    for _ in range(30):  # the documents service may learn of a new application a moment later
        if (await page.request.get(form_url)).ok:
            break
        await asyncio.sleep(0.5)
    async with page.expect_download() as info:
        await page.click("#download-form")
    download = await info.value
    return Path(await download.path()).read_bytes()


async def _summary_value(page, key: str) -> str:
    row = page.locator(".summary-list__row", has=page.locator("dt", has_text=key))
    return (await row.locator(".summary-list__value").inner_text()).strip()


async def test_a_new_applicant_registers_applies_and_sees_the_authority_approve(running_system):
    base, var = running_system.url, running_system.var
    holder = new_registry_holder(var)
    staff = demo_staff(var)
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            applicant = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN",
                                                  accept_downloads=True)
            page = await applicant.new_page()
            await register_and_verify(page, base, holder, new_mobile())
            walk = Walk(page, SCREENS)
            number = await apply(walk, base, holder.certificate_number)
            application_id = page.url.rsplit("/", 1)[-1]

            await page.goto(f"{base}/portal/applications/{application_id}")
            await expect(page.locator("main .tag").first).to_have_text(STATUS_LABELS[0])
            # Issue 19 item 3 (R-APP-6): one edit deadline, the end of the point's confirmation window.
            edit_until = await _summary_value(page, "网上修改截止")
            assert edit_until and (await _summary_value(page, "现场确认时间")).endswith(edit_until)
            await SCREENS.record(page, "16-portal-submitted")
            assert await all_violations(page, "16-portal-submitted") == []
            pdf = await download_pdf(page, application_id)
            assert pdf.startswith(b"%PDF")
            text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
            assert number in text and holder.certificate_number in text

            # The point: by the number (what a scanner types), confirmed on site.
            point_context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            point = await point_context.new_page()
            await staff_sign_in(point, base, staff["point11010801"])
            await point.fill("#query", number)
            await point.press("#query", "Enter")
            await point.wait_for_url(f"**/staff/applications/{application_id}")
            await SCREENS.record(point, "17-point-finds-application")
            await point.click("a[href$='/actions/CONFIRM_ON_SITE']")
            await point.click("main form button[type=submit]")
            await point.wait_for_url("**?done=CONFIRM_ON_SITE")
            assert STATUS_LABELS[1] in await point.inner_text("main")
            await SCREENS.record(point, "18-point-confirmed")

            # The authority: a message, then the decision with its reason.
            admin_context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            admin = await admin_context.new_page()
            await staff_sign_in(admin, base, staff["admin110108"])
            await admin.goto(f"{base}/staff/applications/{application_id}/message")
            await admin.fill("#body", MESSAGE)
            await SCREENS.record(admin, "19-admin-message")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**?done=MESSAGE")
            await admin.click("a[href$='/actions/APPROVE_REGISTERED']")
            await admin.fill("#reason", DECISION_REASON)
            await SCREENS.record(admin, "20-admin-approve")
            await admin.click("main form button[type=submit]")
            await admin.wait_for_url("**?done=APPROVE_REGISTERED")
            await SCREENS.record(admin, "21-admin-approved")

            # The applicant again: the new status, every change with the reason, the message.
            await page.goto(f"{base}/portal/applications/{application_id}")
            main = page.locator("main")
            await expect(main.locator(".tag").first).to_have_text("注册合格")
            timeline = await main.locator(".timeline").inner_text()
            assert all(label in timeline for label in STATUS_LABELS), timeline
            assert DECISION_REASON in timeline
            assert await main.locator(".timeline__event").count() == 3
            assert MESSAGE in await main.inner_text()
            await SCREENS.record(page, "22-portal-registered")

            # The inbox: each change and the message became a notification (they travel the bus).
            wanted = ("申请已提交", f"申请状态：{STATUS_LABELS[1]}", "申请状态：注册合格", "给您留言")
            inbox_text = ""
            for _ in range(60):
                await page.goto(f"{base}/portal/inbox")
                inbox_text = await page.locator("main").inner_text()
                if all(title in inbox_text for title in wanted):
                    break
                await asyncio.sleep(0.5)
            assert all(title in inbox_text for title in wanted), inbox_text
            # Issue 19 item 8: the page's language only, paragraphs kept; the deadline is item 3's.
            assert "Application submitted" not in inbox_text and "wrote" not in inbox_text
            assert f"网上修改截止：{edit_until}" in inbox_text
            assert await page.locator("main li p br").count() > 0
            await SCREENS.record(page, "23-inbox")
            assert await all_violations(page, "23-inbox") == []
        finally:
            await browser.close()
    assert SCREENS.serious == []


async def test_r_id_9_manual_review_path_a_reviewer_verifies_a_person_the_authority_does_not_know(
        running_system, tmp_path):
    base, var = running_system.url, running_system.var
    name = "审核" + "".join(random.sample("晓明华丽静安宁远思涵", 2))  # found by name in the queue
    async with ApiClient(base, source_address=own_address()) as api:
        await register(api, var, new_id_number("19850610"), name, new_mobile())
        token = api.cookies["__Host-session"]
    photo = tmp_path / "document.jpg"
    photo.write_bytes(jpeg())
    async with async_playwright() as p:
        browser = await launch(p)
        try:
            page = await (await signed_in_context(browser, base, token)).new_page()
            await page.goto(f"{base}/account/real-name")
            await page.get_by_role("button", name="开始实名核验").click()
            await expect(page.get_by_text("网证").first).to_be_visible()  # the two remedies
            await SCREENS.record(page, "mr-01-verification-failed")
            await page.get_by_role("link", name="申请人工审核").click()
            await page.set_input_files("#photo_front", str(photo))
            await page.set_input_files("#photo_back", str(photo))
            await SCREENS.record(page, "mr-02-manual-review")
            await page.get_by_role("button", name="提交人工审核").click()
            await expect(page.get_by_text(re.compile(r"预计审核完成日期：\d{4}-\d{2}-\d{2}"))).to_be_visible()
            await SCREENS.record(page, "mr-03-manual-review-sent")
            await page.goto(f"{base}/apply")  # not verified yet: no wizard
            assert "/apply/step/" not in page.url, page.url

            reviewer = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            await staff_sign_in(reviewer, base, demo_staff(var)["reviewer"])
            await reviewer.goto(f"{base}/staff/reviews")
            await reviewer.get_by_role("link", name=name, exact=True).click()
            await reviewer.wait_for_url(re.compile(r"/staff/reviews/[^/?]+$"))
            assert await reviewer.locator(".staff-photo img").count() == 2
            await reviewer.check("input[name=decision][value=APPROVED]")
            await reviewer.fill("#reason", "证件照片清晰，姓名与号码一致。")
            await SCREENS.record(reviewer, "mr-04-reviewer-decides")
            await reviewer.get_by_role("button", name="提交审核结果").click()
            await reviewer.wait_for_url("**/staff/reviews?done=APPROVED")

            await page.goto(f"{base}/account/real-name")
            await expect(page.get_by_text("恭喜您，已通过实名核验").first).to_be_visible()
            await SCREENS.record(page, "mr-05-verified")
            await page.goto(f"{base}/apply")
            await page.wait_for_url("**/apply/step/1")  # R-ID-9: now the wizard opens
        finally:
            await browser.close()
    assert SCREENS.serious == []
