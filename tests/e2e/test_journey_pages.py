"""Issue 19 items 4, 13, 21 and 22 in Chromium against the whole system (`make run`).

- 22: the privacy notice and the accessibility statement, linked from every page's footer;
- 4: on a 375 × 800 phone the header leaves each page's heading within the top 200 px, the human
  check is on the first screen of the sign-in page, and 我的申请 reads as cards without sideways scrolling;
- 13: 居民身份证 preselected with only its hint, the text check swapped in without losing typed fields,
  the disabled "下一步" looks disabled, step 3's warning leaves exactly two buttons;
- 21: two minutes before the idle end a modal warning takes the focus, speaks the time a few times
  rather than every second, "继续使用" extends the session on the server, and when time runs out the
  page signs out and says why; without scripts nothing shows.

Every page state here passes axe-core with no violation at any impact; screenshots at 1280 and 375 px
go to test-artifacts/screenshots/journey-pages/.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.e2e.api_client import ApiClient
from tests.e2e.browser import Screens, all_violations, launch, signed_in_context
from tests.e2e.demo import (
    PASSWORD,
    apply_through_api,
    new_mobile,
    new_registry_holder,
    own_address,
    register_and_verify,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
PHONE = {"width": 375, "height": 800}
SESSION_COOKIE = "__Host-session"


@dataclass(frozen=True)
class Person:
    document_number: str
    address: str


async def new_session(url: str, person: Person) -> str:
    """A session of its own for one test (sign-in through the API), so that signing out in one test
    leaves the others signed in."""
    async with ApiClient(url, source_address=person.address) as api:
        signed = await api.request("POST", "/api/v1/account/sessions", json={
            "document_type": "ID_CARD", "document_number": person.document_number, "password": PASSWORD,
            "pass_token": await api.human_pass()})
        assert signed.status_code == 201, signed.text
        return api.cookies[SESSION_COOKIE]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def people(running_system: Any) -> dict[str, Person]:
    """Two verified people: one who has applied (我的申请 has a row) and one who has not yet."""
    url, var = running_system.url, running_system.var
    found: dict[str, Person] = {}
    for role in ("applied", "newcomer"):
        holder = new_registry_holder(var)
        address = own_address()
        async with ApiClient(url, source_address=address) as api:
            await register_and_verify(api, var, holder, new_mobile())
            if role == "applied":
                await apply_through_api(api, holder)
        found[role] = Person(holder.document_number, address)
    return found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        browser = await launch(p)
        yield browser
        await browser.close()


async def heading_top(page: Page) -> float:
    box = await page.locator("h1").first.bounding_box()
    assert box, "no visible h1"
    return box["y"]


async def no_sideways_scrolling(page: Page) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


# --- item 22 -------------------------------------------------------------------------------------
async def test_item22_the_privacy_notice_and_accessibility_statement_are_linked_from_every_page(
        running_system: Any, chromium: Browser) -> None:
    url = running_system.url
    screens = Screens("journey-pages")
    found: list[str] = []
    context = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    for start in ("/", "/help/faq", "/account/login"):
        await page.goto(url + start)
        footer = page.locator("footer")
        await expect(footer.get_by_role("link", name="个人信息保护说明")).to_have_attribute("href", "/privacy")
        await expect(footer.get_by_role("link", name="无障碍声明")).to_have_attribute("href", "/accessibility")
    await page.goto(url + "/")
    await page.locator("footer").get_by_role("link", name="个人信息保护说明").click()
    await expect(page.locator("h1")).to_have_text("个人信息保护说明")
    for path, name in (("/privacy", "privacy"), ("/accessibility", "accessibility")):
        await page.goto(url + path)
        await screens.shoot(page, name)
        found += await all_violations(page, name)
        await page.set_viewport_size(PHONE)
        assert await no_sideways_scrolling(page) <= 0, name
        found += await all_violations(page, f"{name}-375")
        await page.set_viewport_size({"width": 1280, "height": 900})
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("h1")).to_have_text("Accessibility statement")
    await screens.shoot(page, "accessibility-en")
    await context.close()
    assert found == []


# --- item 4 --------------------------------------------------------------------------------------
async def test_item4_on_a_phone_the_heading_and_the_human_check_are_on_the_first_screen(
        running_system: Any, chromium: Browser, people: dict[str, Person]) -> None:
    url = running_system.url
    screens = Screens("journey-pages")
    found: list[str] = []
    anonymous = await chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = await anonymous.new_page()
    await page.goto(url + "/account/login")
    assert await heading_top(page) < 200
    check = await page.locator("#human-check").bounding_box()
    assert check and check["y"] < PHONE["height"], f"the human check starts at {check}"
    await anonymous.close()

    context = await signed_in_context(chromium, url, await new_session(url, people["applied"]))
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    for path in ("/", "/portal", "/account", "/help/guide", "/privacy"):
        await page.goto(url + path)
        header = await page.locator("header").bounding_box()
        assert header and header["height"] <= PHONE["height"] / 5, (path, header)
        assert await heading_top(page) < 200, path
        assert await no_sideways_scrolling(page) <= 0, path

    # 我的申请: one card per application; the status tag reads on one or two lines, not a column.
    await page.goto(url + "/portal")
    tag = page.locator(".application-card .tag").first
    box = await tag.bounding_box()
    assert box and box["width"] > 150 and box["height"] < 80, box
    await expect(page.locator(".application-card a").first).to_have_text(re.compile(r"^\d{10,}$"))
    found += await all_violations(page, "portal-375")
    await screens.shoot(page, "portal")
    await page.set_viewport_size(PHONE)

    # The folded help links open from the header's 帮助 menu, by keyboard too.
    await page.locator(".site-nav__menu > summary").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator(".site-nav__submenu").get_by_role("link", name="常见问题")).to_be_visible()
    found += await all_violations(page, "help-menu-open-375")
    await page.screenshot(path=str(screens.directory / "help-menu-open-375.png"))
    await context.close()
    assert found == []


# --- item 13 -------------------------------------------------------------------------------------
async def test_item13_sign_in_keeps_what_was_typed_and_shows_one_hint(running_system: Any, chromium: Browser) -> None:
    url = running_system.url
    found: list[str] = []
    context = await chromium.new_context(viewport=PHONE, locale="zh-CN")
    page = await context.new_page()
    await page.goto(url + "/account/login")
    await expect(page.locator("#document_type")).to_have_value("ID_CARD")
    hint = page.locator("#document_type-hint")
    id_card_hint = await hint.inner_text()
    assert "；" not in id_card_hint  # one type's hint, not the wall of five
    other = await page.locator("#document_type option:not([value=ID_CARD])").first.get_attribute("value")
    await page.select_option("#document_type", other)
    await expect(hint).not_to_have_text(id_card_hint)
    await page.select_option("#document_type", "ID_CARD")
    await expect(hint).to_have_text(id_card_hint)
    found += await all_violations(page, "login-375")

    await page.fill("#document_number", "110105198001010025")
    await page.fill("#password", "typed-before-switching")
    await page.get_by_role("link", name=re.compile("换一种验证方式")).click()
    await expect(page.locator("label[for=hc_answer]")).not_to_be_empty()
    await expect(page.locator("#hc_answer")).to_be_focused()
    await expect(page.locator("#document_number")).to_have_value("110105198001010025")
    await expect(page.locator("#password")).to_have_value("typed-before-switching")
    found += await all_violations(page, "login-text-check-375")
    await Screens("journey-pages").shoot(page, "login-text-check")
    await context.close()
    assert found == []


async def test_item13_the_wizard_buttons_say_what_they_do(
        running_system: Any, chromium: Browser, people: dict[str, Person]) -> None:
    url = running_system.url
    screens = Screens("journey-pages")
    found: list[str] = []
    context = await signed_in_context(chromium, url, await new_session(url, people["newcomer"]))
    page = await context.new_page()
    await page.goto(url + "/apply")
    await page.wait_for_url("**/apply/step/*")
    if page.url.endswith("/apply/step/1"):
        button = page.locator("#continue")
        assert await button.is_disabled()
        waiting = await button.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).cursor]")
        found += await all_violations(page, "step1-waiting")
        await screens.shoot(page, "step1-waiting")
        await expect(button).to_be_enabled(timeout=6000)
        ready = await button.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).cursor]")
        assert waiting[0] != ready[0] and waiting[1] == "not-allowed", (waiting, ready)
        await button.click()
        await page.wait_for_url("**/apply/step/2")
        await page.check("input[name=accept]")
        await page.locator("form .button--primary").click()
    await page.wait_for_url("**/apply/step/3")

    # The script's warning: exactly two choices, the step's own "下一步" out of the way.
    await page.fill("#certificate_number", "1234")
    await page.get_by_role("button", name="下一步", exact=True).click()
    await expect(page.locator(".warning-block")).to_be_visible()
    visible = [await b.inner_text() for b in await page.locator("main form button:visible").all()]
    assert visible == ["返回修改", "仍然继续"], visible
    found += await all_violations(page, "step3-warning")
    await screens.shoot(page, "step3-warning")
    await page.get_by_role("button", name="返回修改").click()
    await expect(page.get_by_role("button", name="下一步", exact=True)).to_be_visible()
    await expect(page.locator("#certificate_number")).to_be_focused()
    await context.close()
    assert found == []


# --- item 21 -------------------------------------------------------------------------------------
async def test_item21_the_timeout_warning_extends_the_session_or_signs_out_saying_why(
        running_system: Any, chromium: Browser, people: dict[str, Person]) -> None:
    url = running_system.url
    screens = Screens("journey-pages")
    found: list[str] = []
    token = await new_session(url, people["newcomer"])
    context = await signed_in_context(chromium, url, token)
    page = await context.new_page()
    await page.clock.install()
    await page.set_viewport_size(PHONE)
    await page.goto(url + "/account")
    dialog = page.locator("#timeout-dialog")
    seconds = int(await dialog.get_attribute("data-expires-in") or 0)
    assert 1700 < seconds <= 1800, seconds  # identity's idle time, as the session layer read it
    await expect(dialog).to_be_hidden()

    await page.clock.run_for((seconds - 125) * 1000)
    await expect(dialog).to_be_hidden()
    await page.clock.run_for(6000)
    await expect(dialog).to_be_visible()
    await expect(page.locator("#timeout-dialog-title")).to_be_focused()
    spoken = page.locator("[data-timeout-spoken]")
    await expect(spoken).to_contain_text("2 分钟")
    found += await all_violations(page, "timeout-warning-375")
    await page.screenshot(path=str(screens.directory / "timeout-warning-375.png"))

    # A minute and a half, one second at a time: the visible countdown changes each second, what
    # a screen reader hears only at the minute and the 20-second steps.
    heard, shown = set(), set()
    for _ in range(90):
        await page.clock.run_for(1000)
        heard.add(await spoken.inner_text())
        shown.add(await page.locator("[data-timeout-countdown]").inner_text())
    assert len(shown) >= 85 and len(heard) <= 4, (len(shown), heard)

    async with page.expect_response("**/account/session/keep-alive") as answer:
        await page.get_by_role("button", name="继续使用").click()
    reply = await answer.value
    assert reply.status == 200 and (await reply.json())["expires_in"] > 1700
    await expect(dialog).to_be_hidden()
    await page.goto(url + "/portal")  # still signed in, well past the first end
    assert page.url.endswith("/portal")

    # Nobody answers this time: the page signs out and says why; the session is over on the server.
    seconds = int(await dialog.get_attribute("data-expires-in") or 0)
    await page.clock.run_for((seconds - 3) * 1000)
    await expect(dialog).to_be_visible()
    await page.wait_for_url("**/account/signed-out?timed_out=1", timeout=15000)  # the last seconds pass as usual
    await expect(page.locator("main")).to_contain_text("长时间没有操作，系统已自动退出")
    found += await all_violations(page, "timed-out-375")
    await screens.shoot(page, "timed-out")
    await page.goto(url + "/portal")
    assert "/account/login" in page.url
    await context.close()

    # Without scripts: the dialog stays closed and the page works as before.
    quiet = await chromium.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    await quiet.add_cookies([{"name": SESSION_COOKIE, "value": await new_session(url, people["newcomer"]),
                              "domain": urlparse(url).hostname or "", "path": "/",
                              "secure": True, "httpOnly": True, "sameSite": "Lax"}])
    page = await quiet.new_page()
    await page.goto(url + "/account")
    await expect(page.locator("h1")).to_be_visible()
    await expect(page.locator("#timeout-dialog")).to_be_hidden()
    await quiet.close()
    assert found == []


# --- item 13 in Firefox (it touches the wizard) ---------------------------------------------------
VISIBLE_FORM_BUTTONS = """[...document.querySelectorAll("main form button")]
  .filter((b) => b.offsetParent !== null).map((b) => b.textContent.trim())"""


async def test_item13_in_firefox_typed_fields_stay_and_step_3_warns_with_two_choices(
        running_system: Any, people: dict[str, Person]) -> None:
    from tests.e2e.api_client import solve
    from tests.e2e.firefox import Button, Label, Link
    from tests.e2e.firefox import launch as launch_firefox

    base = running_system.url
    person = people["newcomer"]
    async with launch_firefox() as firefox, firefox.page(width=375, height=800) as page:
        await page.goto(f"{base}/account/login")
        assert await page.evaluate("document.querySelector('#document_type').value") == "ID_CARD"
        await page.fill(Label("证件号码"), person.document_number)
        await page.fill(Label("密码"), PASSWORD)
        await page.click(Link("换一种验证方式"))
        await page.wait_for("document.querySelector('input[name=hc_kind]').value === 'text'")
        assert await page.evaluate("document.querySelector('#document_number').value") == person.document_number
        assert await page.evaluate("document.activeElement.id") == "hc_answer"
        await page.fill("#hc_answer", solve(await page.text("label[for=hc_answer]")))
        await page.click(Button("登录"), navigates=True)
        assert (await page.current_url()).endswith("/account"), await page.text("main")

        await page.goto(f"{base}/apply")
        if (await page.current_url()).endswith("/apply/step/1"):
            styles = "(() => { const s = getComputedStyle(document.querySelector('#continue')); return [s.backgroundColor, s.cursor]; })()"
            waiting = await page.evaluate(styles)
            await page.wait_for("!document.querySelector('#continue').disabled")
            assert waiting[1] == "not-allowed" and waiting[0] != (await page.evaluate(styles))[0]
            await page.click(Button("下一步"), navigates=True)
            await page.check(Label("接受"))
            await page.click(Button("下一步"), navigates=True)
        assert (await page.current_url()).endswith("/apply/step/3"), await page.current_url()
        await page.fill(Label("教师资格证书号码"), "1234")
        await page.click(Button("下一步"))
        await page.wait_for("document.querySelector('.warning-block') !== null")
        assert await page.evaluate(VISIBLE_FORM_BUTTONS) == ["返回修改", "仍然继续"]
        await page.screenshot("journey-step3-warning")
        await page.click(Button("返回修改"))
        assert await page.evaluate(VISIBLE_FORM_BUTTONS) == ["下一步"]
