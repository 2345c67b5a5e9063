"""A small WebDriver BiDi driver for Debian's Firefox ESR, for the browser tests in Firefox.

Playwright's own Firefox build cannot be downloaded here, and no geckodriver is needed: Firefox
speaks WebDriver BiDi itself. Started with ``--remote-debugging-port=0`` it prints the WebSocket
address it listens on; the client opens ``<address>/session`` and sends ``session.new``.

    async with launch() as firefox, firefox.page(width=375) as page:
        await page.goto("http://localhost:8000/account/login")
        await page.fill(Label("证件号码"), "110101199001011234")
        await page.click(Button("登录"), navigates=True)
        await page.screenshot("login")

Elements are found by CSS selector, or by text: ``Label("…")`` (a form control by its label),
``Button("…")`` and ``Link("…")``.
Typing and clicking go through ``input.performActions`` (real key and pointer events); choosing
an <option> goes through a script, as a person's choice from a native list cannot be typed.
"""

from tests.e2e.firefox.bidi import BidiError
from tests.e2e.firefox.page import Button, Label, Link, Page, Target
from tests.e2e.firefox.process import Firefox, launch

__all__ = ["BidiError", "Button", "Firefox", "Label", "Link", "Page", "Target", "launch"]
