"""Issue 19 item 7 in Chromium and Firefox: step 4 lists 学段 in their natural order (幼儿园 → 小学 →
初级中学 → 高级中学 → 中等职业学校) and subjects in the reference data's order, preselects the
registry certificate's subject as 现任教学科, and shows each authority's online window beside it.
axe finds nothing at any impact; the page is shot at 1280 and 375 px."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page as ChromiumPage
from playwright.async_api import async_playwright, expect
from tqr_application.reference_data import demo_batch

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, Walk, launch, signed_in_context
from tests.e2e.demo import HAIDIAN, new_mobile, new_registry_holder, own_address, register_and_verify
from tests.e2e.firefox import Firefox, Label, Page
from tests.e2e.firefox import launch as launch_firefox
from tests.e2e.test_firefox import PASSWORD, next_step, record, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
NATURAL_STAGES = ["幼儿园", "小学", "初级中学", "高级中学", "中等职业学校"]
SUBJECTS_AS_LISTED = [s.name for s in demo_batch().subjects]  # the reference data's own order
WINDOW = re.compile(r"（网上申报 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d 至 \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d）$")
OPTION_TEXTS = "(name) => [...document.querySelector(`select[name=${name}]`).options].slice(1).map((o) => o.text)"


async def test_step_4_lists_in_natural_order_with_subject_and_windows_in_chromium(running_system: Any) -> None:
    base = running_system.url
    holder = new_registry_holder(running_system.var)
    async with ApiClient(base, source_address=own_address()) as api:
        await register_and_verify(api, running_system.var, holder, new_mobile())
        token = api.cookies["__Host-session"]
    async with async_playwright() as p:
        browser = await launch(p)
        context = await signed_in_context(browser, base, token)
        page = await context.new_page()
        walk = Walk(page, Screens("step4-choices"))
        await page.goto(f"{base}/apply")
        await expect(page.locator("#continue")).to_be_enabled(timeout=15000)
        await walk.next()
        await page.check("input[name=accept]")
        await walk.next()
        await page.fill("#certificate_number", holder.certificate_number)
        await walk.next()
        assert page.url.endswith("/apply/step/4"), await page.content()
        await check_step_4(page, holder.subject_code)
        await walk.screens.shoot(page, "step4-chromium")
        violations = (await Axe().run(page)).response["violations"]
        assert [v["id"] for v in violations] == [], violations
        await browser.close()


async def check_step_4(page: ChromiumPage, certificate_subject: str) -> None:
    assert await page.evaluate(OPTION_TEXTS, "teaching_stage_code") == NATURAL_STAGES
    assert await page.evaluate(OPTION_TEXTS, "teaching_subject_code") == SUBJECTS_AS_LISTED
    assert await page.locator("#teaching_subject_code").input_value() == certificate_subject
    haidian = await page.locator(f"#authority_code option[value='{HAIDIAN}']").inner_text()
    assert WINDOW.search(haidian), haidian
    await page.locator("#authority-windows summary").click()
    assert "网上申报" in await page.locator("#authority-windows").inner_text()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def firefox() -> AsyncIterator[Firefox]:
    async with launch_firefox() as browser:
        yield browser


async def test_step_4_lists_in_natural_order_with_subject_and_windows_in_firefox(running_system: Any,
                                                                                 firefox: Firefox) -> None:
    base = running_system.url
    holder = new_registry_holder(running_system.var)
    async with ApiClient(base, source_address=own_address()) as api:
        await register_and_verify(api, running_system.var, holder, new_mobile())
    async with firefox.page() as page:
        await sign_in(page, base, holder.document_number, PASSWORD)
        await page.goto(f"{base}/apply")
        await page.wait_for("!document.querySelector('#continue').disabled")
        await next_step(page)
        await page.check(Label("接受"))
        await next_step(page)
        await page.fill(Label("教师资格证书号码"), holder.certificate_number)
        await next_step(page)
        assert (await page.current_url()).endswith("/apply/step/4")
        await firefox_checks(page, holder.subject_code)
        await record(page, "step4-choices")


async def firefox_checks(page: Page, certificate_subject: str) -> None:
    def texts(name: str) -> str:
        return f"[...document.querySelector('select[name={name}]').options].slice(1).map((o) => o.text)"

    assert await page.evaluate(texts("teaching_stage_code")) == NATURAL_STAGES
    assert await page.evaluate(texts("teaching_subject_code")) == SUBJECTS_AS_LISTED
    assert await page.evaluate("document.querySelector('#teaching_subject_code').value") == certificate_subject
    haidian = await page.evaluate(f"document.querySelector(\"#authority_code option[value='{HAIDIAN}']\").text")
    assert WINDOW.search(haidian), haidian
