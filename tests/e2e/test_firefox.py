"""The applicant's pages in Firefox (issue 7: "works in current Chromium and Firefox"), driven over
WebDriver BiDi by tests/e2e/firefox/ against the whole system (`make run`).

A person of the demo registry (registered and verified through the API) signs in with the text
alternative of the human check, walks the eight wizard steps through the pages, reads the status
of the application in the portal, switches to English (and stays there), and downloads the form
as a PDF (R-WIZ-1..8, R-APP-2, R-APP-5). The register pages render with a label for every field.
Every page is shot at 1280 and 375 px wide (test-artifacts/screenshots/firefox/) and must not
scroll sideways at 375 px."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from pypdf import PdfReader
from tqr_application.domain.reference import RegistryCertificate

from tests.e2e.api_client import ApiClient, solve
from tests.e2e.demo import (
    HAIDIAN,
    PASSWORD,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)
from tests.e2e.firefox import Button, Firefox, Label, Link, Page, launch

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
WIDTHS = (1280, 375)

# Form controls a person cannot name: no <label>, aria-label or aria-labelledby.
UNLABELLED = """[...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                  && !el.getAttribute("aria-labelledby"))
  .map((el) => el.name || el.id)"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def firefox() -> AsyncIterator[Firefox]:
    """One Firefox for these tests (starting it takes seconds); each test's page has its own cookies."""
    async with launch() as browser:
        yield browser


async def record(page: Page, name: str) -> None:
    """Screenshots at 1280 and 375 px; at 375 px the page holds without sideways scrolling. The page
    is left at the width it had."""
    was = page.width
    for width in WIDTHS:
        await page.set_viewport(width)
        await page.screenshot(name)
        if width == 375:
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow} px at 375 px wide"
    await page.set_viewport(was)


async def next_step(page: Page, button: str = "下一步") -> None:
    """The step's button, then "仍然继续" past a warning the applicant may override."""
    await page.click(Button(button), navigates=True)
    if await page.count(".warning-block"):
        await page.click(Button("仍然继续"), navigates=True)


async def sign_in(page: Page, base: str, document_number: str, password: str) -> None:
    """The sign-in page with the text alternative of the human check (居民身份证)."""
    await page.goto(f"{base}/account/login")
    await page.click(Link("换一种验证方式"))  # swapped in place by the page's script
    await page.wait_for("document.querySelector('input[name=hc_kind]').value === 'text'")
    question = await page.text("label[for=hc_answer]")
    await page.select(Label("证件类型"), "ID_CARD")
    await page.fill(Label("证件号码"), document_number)
    await page.fill(Label("密码"), password)
    await page.fill("#hc_answer", solve(question))
    await page.click(Button("登录"), navigates=True)
    assert re.search(r"/account$", await page.current_url()), await page.text("main")


async def materials_through_the_pages(page: Page, email: str, shots: str = "") -> None:
    """Step 7's four pages from the first one, then its summary's "继续" (left at the check page);
    with ``shots``, each page is recorded as "<shots>-<part>"."""
    async def shoot(part: str) -> None:
        if shots:
            await record(page, f"{shots}-{part}")

    await page.fill(Label("电子邮箱"), email)
    await page.fill(Label("现任职学校"), "海淀实验小学")
    await page.fill(Label("现任岗位或职务"), "数学教师")
    for part, text in (("year", "2012"), ("month", "9"), ("day", "1")):
        await page.fill(f"#employment_start-{part}", text)
    await next_step(page)
    assert "/apply/step/7/history" in await page.current_url(), await page.text("main")
    await shoot("history")
    for part, text in (("year", "2012"), ("month", "9"), ("day", "1")):
        await page.fill(f"#work_history-0-start-{part}", text)
    await page.fill("#work_history-0-school", "海淀实验小学")
    await page.fill("#work_history-0-post", "数学教师")
    await next_step(page)
    assert "/apply/step/7/assessments" in await page.current_url(), await page.text("main")
    await shoot("assessments")
    for name in await page.evaluate("[...document.querySelectorAll('select[name^=assessment-]')].map((s) => s.name)"):
        await page.select(f"select[name='{name}']", "合格")
    await next_step(page)
    assert "/apply/step/7/ethics" in await page.current_url(), await page.text("main")
    await shoot("ethics")
    await page.check("#ethics_assessment-2")
    await page.fill(Label("五年内继续教育学时"), "400")
    await next_step(page)
    assert (await page.current_url()).endswith("/apply/step/7/summary"), await page.text("main")
    await shoot("summary")
    await next_step(page, "继续")


async def apply_through_the_pages(page: Page, base: str, holder: RegistryCertificate) -> str:
    """The eight wizard steps for the holder's certificate (found in the registry); the application
    number the done page shows."""
    await page.goto(f"{base}/apply")
    assert (await page.current_url()).endswith("/apply/step/1")
    # R-WIZ-1: the page counts down from the seconds the server says are left, then lets go.
    assert int(await page.evaluate("document.querySelector('#continue').dataset.countdown")) > 0
    await record(page, "step1-must-read")
    await page.wait_for("!document.querySelector('#continue').disabled")
    await next_step(page)
    await record(page, "step2-terms")
    await page.check(Label("接受"))
    await next_step(page)
    await record(page, "step3-certificate-number")
    await page.fill(Label("教师资格证书号码"), holder.certificate_number)
    await next_step(page)

    assert (await page.current_url()).endswith("/apply/step/4")
    assert holder.certificate_number in await page.text("main")  # R-WIZ-3: taken from the registry
    await record(page, "step4-certificate")
    await page.select(Label("注册机构"), HAIDIAN)
    await page.select(Label("现任教学段"), "PRIMARY")
    await page.select(Label("现任教学科"), "MATH")
    await next_step(page)
    await record(page, "step5-point")
    await page.check("input[name=point_code]")
    await next_step(page)
    await record(page, "step6-notes")
    await next_step(page, "已阅读并下一步")

    assert (await page.current_url()).endswith("/apply/step/7/contact"), await page.text("main")
    await record(page, "step7-materials")
    await materials_through_the_pages(page, "firefox.teacher@example.cn")

    assert (await page.current_url()).endswith("/apply/check"), await page.text("main")
    await record(page, "check-answers")
    await page.click(Button("提交申请"), navigates=True)
    assert re.search(r"/apply/done/.+", await page.current_url()), await page.text("main")
    await record(page, "step8-done")
    return (await page.text("#application-number")).strip()


async def test_an_applicant_applies_and_reads_the_portal_in_firefox(running_system: Any, firefox: Firefox) -> None:
    base = running_system.url
    holder = new_registry_holder(running_system.var)
    async with ApiClient(base, source_address=own_address()) as api:
        await register_and_verify(api, running_system.var, holder, new_mobile())

    async with firefox.page() as page:
        await sign_in(page, base, holder.document_number, PASSWORD)
        number = await apply_through_the_pages(page, base, holder)
        assert number

        # R-APP-2: the status with its meaning.
        await page.goto((await page.current_url()).replace("/apply/done/", "/portal/applications/"))
        assert "信息提交成功，等待现场确认" in await page.text(".tag")
        assert (await page.text(".status-meaning")).strip()
        await record(page, "portal-application")

        # The language switch keeps the page, and the choice holds on the next pages.
        application_page = await page.current_url()
        await page.click(".site-header__lang", navigates=True)
        assert await page.current_url() == application_page
        assert await page.evaluate("document.documentElement.lang") == "en"
        assert (await page.text("h1")).startswith(f"Application {number}")
        await record(page, "portal-application-en")
        for path in ("/portal", "/account"):
            await page.goto(base + path)
            assert await page.evaluate("document.documentElement.lang") == "en", path
            assert (await page.text(".site-header__lang")).strip() == "中文", path
        await page.goto(application_page)
        assert "Status" in await page.text("main")

        # R-APP-5: the form (PDF is the format chosen by default), as the browser saves it.
        # The documents service may learn of a new application a moment after the portal does.
        await page.wait_for("fetch(location.pathname + '/form?format=pdf').then((r) => r.ok)")
        form = await page.download("#download-form")
        data = form.read_bytes()
        assert form.name.endswith(".pdf") and data.startswith(b"%PDF"), form.name
        text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
        assert number in text.replace(" ", "")


async def test_the_register_pages_have_a_label_for_every_field_in_firefox(running_system: Any,
                                                                         firefox: Firefox) -> None:
    base = running_system.url
    async with firefox.page(width=375) as page:
        await page.goto(f"{base}/account/register")
        assert await page.evaluate(UNLABELLED) == []
        await record(page, "register-1-agreement")
        await page.check(Label("我已阅读并同意用户协议"))
        await page.click(Button("同意并继续"), navigates=True)

        assert await page.evaluate(UNLABELLED) == []
        for label in ("证件类型", "证件号码", "姓名", "手机号码", "电子邮箱"):
            await page.element(Label(label))  # each field is found by its visible label
        await record(page, "register-2-details")

        await page.goto(f"{base}/account/login")
        assert await page.evaluate(UNLABELLED) == []
        await page.wait_for("!document.querySelector('[data-slider]').hidden")  # the slider's script runs
        await record(page, "login-slider")
