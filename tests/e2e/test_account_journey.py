"""The account area in a real browser against the whole system (`make run`): a new person
registers (agreement, the text alternative of the human check, the SMS code read from the
development outbox), verifies their real name, signs out and in again (keyboard only); a person
the identity authority does not know asks for a manual review. Screenshots at 1280 and 375 px;
axe finds no serious violations on the register and sign-in pages."""

from __future__ import annotations

import random
import re

import pytest
from playwright.async_api import Page, async_playwright, expect
from tqr_identity.adapters.real_name_dev import NO_RECORD, demo_registry_holders
from tqr_identity.seed import DEMO_APPLICANT_PASSWORD

from tests.e2e.browser import (
    Screens,
    answer_of,
    code_from_outbox,
    jpeg,
    launch,
    no_serious_violations,
    sign_in,
    tab_to,
    use_text_check,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Screens("account")
PASSWORD = "Teach#2026new"


async def keyboard_sign_in(page: Page, base: str, document_number: str) -> None:
    await page.goto(f"{base}/account/login")
    for _ in range(80):  # Tab to the text alternative and follow it with Enter
        await page.keyboard.press("Tab")
        if "换一种验证方式" in await page.evaluate("document.activeElement.textContent || ''"):
            break
    await page.keyboard.press("Enter")
    # The text question replaces the slider in place, and the focus lands in its answer box.
    await page.locator("input[name=hc_kind][value=text]").wait_for(state="attached")
    question = await page.locator("label[for=hc_answer]").inner_text()
    assert await page.input_value("#document_type") == "ID_CARD"  # preselected: nothing to choose
    await tab_to(page, "#document_number")
    await page.keyboard.type(document_number)
    await tab_to(page, "#password")
    await page.keyboard.type(PASSWORD)
    await tab_to(page, "#hc_answer")
    await page.keyboard.type(answer_of(question))
    await page.keyboard.press("Enter")


async def test_a_new_person_registers_verifies_and_signs_in_again(running_system):
    base = running_system.url
    holder = random.choice([h for h in demo_registry_holders()[10:200] if h.document_type.value == "ID_CARD"])
    mobile = f"137{random.randrange(10**8):08d}"
    async with async_playwright() as p:
        browser = await launch(p)
        context = await browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        page = await context.new_page()

        await page.goto(f"{base}/account/register")
        await SCREENS.shoot(page, "register-1-agreement")
        await no_serious_violations(page)
        await page.get_by_label("我已阅读并同意用户协议").check()
        await page.get_by_role("button", name="同意并继续").click()

        await SCREENS.shoot(page, "register-2-details")
        await page.select_option("#document_type", "ID_CARD")
        await page.fill("#document_number", holder.document_number)
        await page.fill("#name", holder.name)
        await page.fill("#mobile", mobile)
        await page.fill("#email", "new.teacher@example.cn")
        await page.get_by_role("button", name="继续").click()

        await expect(page.locator("h1")).to_have_text("验证您的手机")
        await SCREENS.shoot(page, "register-3-mobile")
        await use_text_check(page)
        await SCREENS.shoot(page, "register-3-mobile-text-check")
        await page.get_by_role("button", name="获取短信验证码").click()

        await expect(page.get_by_text(f"验证码已发送至 {mobile[:3]}****{mobile[-4:]}")).to_be_visible()
        await SCREENS.shoot(page, "register-4-finish")
        outbox = await context.new_page()
        code = await code_from_outbox(outbox, base, mobile[-4:])
        await SCREENS.shoot(outbox, "dev-outbox")
        await page.fill("#sms_code", code)
        await page.fill("#password", PASSWORD)
        await page.fill("#password_confirm", PASSWORD)
        await page.get_by_role("button", name="注册").click()

        # The code proved the person: the new account is signed in and goes on to verification.
        await page.wait_for_url(re.compile(r"/account/real-name\?welcome=1$"))
        await SCREENS.shoot(page, "real-name")
        await no_serious_violations(page)
        await page.get_by_role("button", name="开始实名核验").click()
        await expect(page.get_by_text("恭喜您，已通过实名核验").first).to_be_visible()
        await SCREENS.shoot(page, "real-name-verified")

        for path, name in (("/account", "home"), ("/account/profile", "profile"),
                           ("/account/profile/edit", "profile-edit"), ("/account/password", "password-change"),
                           ("/account/support", "support")):
            await page.goto(base + path)
            await SCREENS.shoot(page, name)

        # R-ID-14: a new email needs the password and the code sent to it.
        await page.goto(f"{base}/account/profile")
        await page.get_by_role("link", name="修改 电子邮箱").click()
        await expect(page.locator("h1")).to_have_text("修改邮箱")
        await SCREENS.shoot(page, "email-change")
        await no_serious_violations(page)
        await page.fill("#new_email", "moved.teacher@example.cn")
        await page.fill("#current_password", PASSWORD)
        await page.get_by_role("button", name="发送验证码到新邮箱").click()
        await expect(page.locator("h1")).to_have_text("输入新邮箱收到的验证码")
        await SCREENS.shoot(page, "email-confirm")
        await page.fill("#code", await code_from_outbox(outbox, base, "moved.teacher@example.cn", kind="email"))
        await page.get_by_role("button", name="确认修改").click()
        await expect(page.get_by_text("邮箱已修改。原邮箱已收到一封修改通知。")).to_be_visible()
        await expect(page.get_by_text("moved.teacher@example.cn")).to_be_visible()
        await SCREENS.shoot(page, "email-changed")

        await page.get_by_role("button", name="退出").click()
        await expect(page.get_by_role("heading", name="您已安全退出")).to_be_visible()
        await SCREENS.shoot(page, "signed-out")
        await page.goto(f"{base}/account")
        await page.wait_for_url(re.compile(r"/account/login\?next="))  # the session really ended

        await keyboard_sign_in(page, base, holder.document_number)
        await page.wait_for_url(re.compile(r"/account$"))
        await expect(page.get_by_role("button", name="填写定期注册申请")).to_be_visible()

        for path, name in (("/account/password/forgot", "password-forgot"), ("/staff/login", "staff-login")):
            await page.goto(base + path)
            await SCREENS.shoot(page, name)
        await browser.close()


async def test_a_person_the_authority_does_not_know_asks_for_a_manual_review(running_system, tmp_path):
    base = running_system.url
    photo = tmp_path / "document.jpg"
    photo.write_bytes(jpeg())
    async with async_playwright() as p:
        browser = await launch(p)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, base, NO_RECORD.document_number, DEMO_APPLICANT_PASSWORD)
        await page.wait_for_url(re.compile(r"/account$"))
        await page.goto(f"{base}/account/real-name")
        await page.get_by_role("button", name="开始实名核验").click()
        await expect(page.get_by_text("网证").first).to_be_visible()
        await SCREENS.shoot(page, "real-name-failed")
        await page.get_by_role("link", name="申请人工审核").click()
        await SCREENS.shoot(page, "manual-review")
        await page.set_input_files("#photo_front", str(photo))
        await page.set_input_files("#photo_back", str(photo))
        await page.get_by_role("button", name="提交人工审核").click()
        await expect(page.get_by_text(re.compile(r"预计审核完成日期：\d{4}-\d{2}-\d{2}"))).to_be_visible()
        await SCREENS.shoot(page, "manual-review-sent")
        await page.goto(f"{base}/account/real-name")
        await expect(page.get_by_text("人工审核进行中").first).to_be_visible()
        assert await page.get_by_role("button", name="开始实名核验").count() == 0
        await browser.close()
