"""Shared helpers of the browser tests: Debian's Chromium, screenshots at 1280 and 375 px, axe,
the text alternative of the human check, codes from the development outbox page, applicant and
staff sign-in through the pages, and walking the wizard."""

from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from axe_playwright_python.async_playwright import Axe
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, Playwright

from tests.e2e.api_client import solve
from tests.e2e.demo import StaffAccount, totp_candidates

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
WIDTHS = (1280, 375)


async def launch(p: Playwright) -> Browser:
    """Debian's Chromium (never a downloaded one)."""
    return await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


async def serious_violations(page: Page, name: str = "") -> list[str]:
    """axe's serious or critical violations on the page, as "name: rule id"."""
    results = await Axe().run(page)
    return [f"{name}: {v['id']}" if name else v["id"] for v in results.response["violations"]
            if v.get("impact") in ("serious", "critical")]


async def all_violations(page: Page, name: str) -> list[str]:
    """axe-core's violations at any impact, as "name: rule id (impact)"."""
    results = await Axe().run(page)
    return [f"{name}: {v['id']} ({v.get('impact')})" for v in results.response["violations"]]


async def no_serious_violations(page: Page) -> None:
    results = await Axe().run(page)
    serious = [v["id"] for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], results.generate_report()


class Screens:
    """Screenshots of one area in test-artifacts/screenshots/<area>/, and axe findings kept."""

    def __init__(self, area: str) -> None:
        self.directory = SCREENSHOTS / area
        self.serious: list[str] = []

    async def shoot(self, page: Page, name: str) -> None:
        """Full-page screenshots at 1280 and 375 px wide; the page is left at 1280."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            await page.screenshot(path=str(self.directory / f"{name}-{width}.png"), full_page=True)
        await page.set_viewport_size({"width": 1280, "height": 900})

    async def record(self, page: Page, name: str) -> None:
        """Screenshots and an axe pass (serious or critical violations kept in ``serious``)."""
        await self.shoot(page, name)
        self.serious += await serious_violations(page, name)


def jpeg() -> bytes:
    """A plain JPEG standing in for a photo of an identity document."""
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 200, 190)).save(out, format="JPEG")
    return out.getvalue()


def answer_of(question: str) -> str:
    """The text alternative is a short word problem (tools/loadtest/journey.py answers it)."""
    return solve(question)


async def use_text_check(page: Page) -> None:
    """The "换一种验证方式" link, then the answer to the plain question."""
    await page.get_by_role("link", name=re.compile("换一种验证方式")).click()
    # The page swaps its human check in place (typed fields stay), or follows the link without scripts.
    await page.locator("input[name=hc_kind][value=text]").wait_for(state="attached")
    question = await page.locator("label[for=hc_answer]").inner_text()
    await page.fill("#hc_answer", answer_of(question))


async def code_from_outbox(page: Page, base: str, masked_tail: str, kind: str = "sms") -> str:
    """The newest code in the development outbox page, polling while the message travels the bus."""
    for _ in range(60):
        await page.goto(f"{base}/dev/outbox")
        items = page.locator(f"[data-outbox-kind={kind}]")
        for i in range(await items.count()):
            item = items.nth(i)
            if (await item.locator("[data-outbox-to]").inner_text()).endswith(masked_tail) and \
                    await item.locator("[data-outbox-code]").count():
                return await item.locator("[data-outbox-code]").inner_text()
        await asyncio.sleep(0.5)
    raise AssertionError("no code arrived in the development outbox")


async def sign_in(page: Page, base: str, document_number: str, password: str) -> None:
    """The applicant sign-in page with the text check (居民身份证)."""
    await page.goto(f"{base}/account/login")
    await use_text_check(page)
    await page.select_option("#document_type", "ID_CARD")
    await page.fill("#document_number", document_number)
    await page.fill("#password", password)
    await page.get_by_role("button", name="登录").click()


async def staff_sign_in(page: Page, url: str, account: StaffAccount) -> None:
    """/staff/login with password and TOTP; the next step's code when this step's was used already.

    Many tests sign the same demo staff in, and the service accepts each 30-second step once
    (replay protection): when both codes were used, wait for a fresh step and try again."""
    for attempt in range(3):
        if attempt:
            await asyncio.sleep(30 - time.time() % 30 + 0.5)
        for code in totp_candidates(account.totp_secret):
            await page.goto(f"{url}/staff/login")
            await page.fill("#username", account.username)
            await page.fill("#password", account.password)
            await page.fill("#totp_code", code)
            async with page.expect_navigation():
                await page.click("form[action='/staff/login'] button[type=submit]")
            if re.search(r"/staff$", page.url):
                return
    raise AssertionError(f"{account.username} could not sign in: {await page.inner_text('main')}")


async def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


async def signed_in_context(browser: Any, url: str, token: str) -> BrowserContext:
    """A browser context holding an applicant's session cookie (signed in elsewhere)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    # Host-only for Chromium on http://localhost: domain and path, no url (a "url" cookie is refused).
    await context.add_cookies([{"name": "__Host-session", "value": token, "domain": urlparse(url).hostname or "",
                                "path": "/", "secure": True, "httpOnly": True, "sameSite": "Lax"}])
    return context


class Walk:
    """Through the wizard's pages: a record of each page, and "next" past any warning."""

    def __init__(self, page: Page, screens: Screens) -> None:
        self.page = page
        self.screens = screens

    @property
    def serious(self) -> list[str]:
        return self.screens.serious

    async def record(self, name: str) -> None:
        await self.screens.record(self.page, name)

    async def next(self, label: str = "下一步") -> None:
        await self.page.get_by_role("button", name=label, exact=True).click()
        await self.page.wait_for_load_state()
        if await self.page.locator(".warning-block").count():  # a warning the applicant may override
            await self.page.get_by_role("button", name="仍然继续").click()
            await self.page.wait_for_load_state()


async def fill_materials_pages(walk: Walk, email: str, school: str, post: str, since: str) -> None:
    """Step 7's four pages (联系方式与任职, 工作经历, 年度考核, 师德与继续教育) from the first one, then
    its summary's "继续": the page is left at the check page. ``since``: YYYY-MM-DD, the start at
    this school (one row of work history)."""
    page = walk.page
    year, month, day = since.split("-")
    assert re.search(r"/apply/step/7/contact$", page.url), page.url
    await page.fill("#email", email)
    await page.fill("#school", school)
    await page.fill("#post", post)
    for prefix in ("employment_start",):
        for part, text in (("year", year), ("month", month.lstrip("0")), ("day", day.lstrip("0"))):
            await page.fill(f"#{prefix}-{part}", text)
    await walk.next()
    assert "/apply/step/7/history" in page.url, page.url
    for part, text in (("year", year), ("month", month.lstrip("0")), ("day", day.lstrip("0"))):
        await page.fill(f"#work_history-0-start-{part}", text)
    await page.fill("#work_history-0-school", school)
    await page.fill("#work_history-0-post", post)
    await walk.next()
    assert "/apply/step/7/assessments" in page.url, page.url
    for select in await page.locator("select[name^=assessment-]").all():
        await select.select_option("合格")
    await walk.next()
    assert "/apply/step/7/ethics" in page.url, page.url
    await page.check("#ethics_assessment-2")
    await page.fill("#continuing_education_hours", "400")
    await walk.next()
    assert page.url.endswith("/apply/step/7/summary"), await page.inner_text("main")
    await walk.next("继续")
