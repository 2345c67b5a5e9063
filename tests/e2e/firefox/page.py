"""A tab of Firefox: navigating, finding elements by CSS or by their text, typing and clicking
with real input events, scripts, downloads and screenshots."""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.firefox.bidi import COMMAND_TIMEOUT, BidiError, Connection, local_value, python_value

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots" / "firefox"

# Finds one element: by CSS selector; or a form control by the text of its label, a button or a
# link by its text (the exact text first, then the first containing it; only elements shown and
# not hidden from assistive technology, like a default button kept for the Enter key).
# Scrolled to the middle of the view, ready for the pointer.
_FIND = """(kind, wanted) => {
  const norm = (s) => (s || "").replace(/\\s+/g, " ").trim();
  const shown = (el) => el.getClientRects().length > 0 && !el.closest("[aria-hidden=true]");
  const byText = (elements, textOf) => {
    const candidates = elements.filter(shown);
    return candidates.find((el) => norm(textOf(el)) === norm(wanted))
      || candidates.find((el) => norm(textOf(el)).includes(norm(wanted))) || null;
  };
  let element = null;
  if (kind === "css") {
    element = document.querySelector(wanted);
  } else if (kind === "label") {
    const label = byText([...document.querySelectorAll("label")], (el) => el.textContent);
    element = label ? label.control : null;
  } else if (kind === "button") {
    element = byText([...document.querySelectorAll("button, input[type=submit]")],
                     (el) => el.tagName === "INPUT" ? el.value : el.textContent);
  } else if (kind === "link") {
    element = byText([...document.querySelectorAll("a[href]")], (el) => el.textContent);
  }
  if (element) element.scrollIntoView({block: "center", inline: "center"});
  return element;
}"""

# Where a person's pointer goes: the middle of the element's first box (a link that wraps onto two
# lines has a bounding box whose middle lies between its lines, on the paragraph), once the element
# has stopped moving (the same box over two animation frames: images decoding above it still push it
# down after the scroll) and when that point hits the element, not something covering it. Scrolled
# again while it moves, until the timeout; then null.
_POINTER_TARGET = """async (el, timeout) => {
  const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
  const first = () => el.getClientRects()[0] || el.getBoundingClientRect();
  const end = performance.now() + timeout;
  while (performance.now() < end) {
    const before = first();
    await frame();
    await frame();
    const r = first();
    const x = Math.round(r.left + r.width / 2), y = Math.round(r.top + r.height / 2);
    const found = document.elementFromPoint(x, y);
    const still = r.left === before.left && r.top === before.top && r.width === before.width;
    if (still && found !== null && (found === el || el.contains(found))) return [x, y];
    el.scrollIntoView({block: "center", inline: "center"});
  }
  return null;
}"""

_SPECIAL_KEYS = {"Enter": "\ue007", "Tab": "\ue004", "Backspace": "\ue003"}


@dataclass(frozen=True)
class Label:
    """The form control whose <label> has this text."""

    text: str


@dataclass(frozen=True)
class Button:
    """The button with this text."""

    text: str


@dataclass(frozen=True)
class Link:
    """The link with this text."""

    text: str


Target = str | Label | Button | Link  # a plain string is a CSS selector
_KINDS = {Label: "label", Button: "button", Link: "link"}


class Page:
    """One top-level browsing context (a tab)."""

    def __init__(self, connection: Connection, context: str) -> None:
        self.connection = connection
        self.context = context
        self.width = 0

    async def set_viewport(self, width: int, height: int = 900) -> None:
        await self.connection.send("browsingContext.setViewport", {
            "context": self.context, "viewport": {"width": width, "height": height}})
        self.width = width

    async def goto(self, url: str) -> None:
        """Navigate and wait for the load event."""
        await self.connection.send("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})

    async def current_url(self) -> str:
        return str(await self.evaluate("location.href"))

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited if it is a promise), as Python values."""
        return self._result(await self.connection.send("script.evaluate", {
            "expression": expression, "target": {"context": self.context}, "awaitPromise": True}))

    async def call(self, function: str, *arguments: Any) -> Any:
        """Call a JavaScript function declaration with arguments (strings, numbers, elements …)."""
        return self._result(await self.connection.send("script.callFunction", {
            "functionDeclaration": function, "arguments": [local_value(a) for a in arguments],
            "target": {"context": self.context}, "awaitPromise": True}))

    def _result(self, answer: dict[str, Any]) -> Any:
        if answer.get("type") == "exception":
            details = answer.get("exceptionDetails", {})
            raise BidiError(f"script error: {details.get('text')}")
        return python_value(answer["result"])

    async def wait_for(self, expression: str, timeout: float = 15.0) -> None:
        """Until the expression (or the promise it gives) is truthy in the page: state the page or
        the system reaches by itself."""
        deadline = time.monotonic() + timeout
        while not await self.evaluate(f"(async () => Boolean(await ({expression})))()"):
            if time.monotonic() > deadline:
                raise AssertionError(f"never became true in {await self.current_url()}: {expression}")
            await asyncio.sleep(0.1)

    async def element(self, target: Target) -> dict[str, Any]:
        """A reference to the element, scrolled into view; AssertionError when there is none."""
        kind, wanted = ("css", target) if isinstance(target, str) else (_KINDS[type(target)], target.text)
        found = await self.call(_FIND, kind, wanted)
        if not isinstance(found, dict) or found.get("type") != "node":
            raise AssertionError(f"no element for {target!r} in {await self.current_url()}")
        return found

    async def click(self, target: Target, *, navigates: bool = False) -> None:
        """A pointer click in the middle of the element; with ``navigates``, wait for the next page."""
        element = await self.element(target)
        point = await self.call(_POINTER_TARGET, element, 5000)
        if not point:
            raise AssertionError(f"{target!r} kept moving or stayed covered in {await self.current_url()}")
        loaded = self.connection.expect("browsingContext.load", lambda e: e.get("context") == self.context) \
            if navigates else None
        await self.connection.send("input.performActions", {"context": self.context, "actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"}, "actions": [
                {"type": "pointerMove", "x": point[0], "y": point[1], "origin": "viewport"},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0}]}]})
        if loaded is not None:
            await asyncio.wait_for(loaded, COMMAND_TIMEOUT)

    async def download(self, target: Target) -> Path:
        """Click what starts a download and wait for it to finish; the file (removed with the browser)."""
        finished = self.connection.expect("browsingContext.downloadEnd", lambda e: e.get("context") == self.context)
        await self.click(target)
        end = await asyncio.wait_for(finished, COMMAND_TIMEOUT)
        if end.get("status") != "complete":
            raise AssertionError(f"the download of {end.get('url')} did not complete: {end}")
        return Path(end["filepath"])

    async def fill(self, target: Target, text: str) -> None:
        """Focus the field, empty it and type ``text`` key by key."""
        element = await self.element(target)
        await self.call("(el) => { el.focus(); el.value = ''; }", element)
        await self.type(text)

    async def type(self, text: str) -> None:
        """Key presses of each character into whatever has focus."""
        await self._keys(list(text))

    async def press(self, key: str) -> None:
        """One named key: "Enter", "Tab" or "Backspace"."""
        await self._keys([_SPECIAL_KEYS[key]])

    async def _keys(self, keys: list[str]) -> None:
        actions = [action for key in keys for action in ({"type": "keyDown", "value": key},
                                                          {"type": "keyUp", "value": key})]
        await self.connection.send("input.performActions", {"context": self.context, "actions": [
            {"type": "key", "id": "keyboard", "actions": actions}]})

    async def check(self, target: Target) -> None:
        """Click a checkbox or radio button unless it is checked already; it must end up checked."""
        element = await self.element(target)
        if not await self.call("(el) => el.checked", element):
            await self.click(target)
        if not await self.call("(el) => el.checked", await self.element(target)):
            raise AssertionError(f"{target!r} did not become checked")

    async def select(self, target: Target, value: str) -> None:
        """Choose the <option> with ``value``, announcing it as a person's choice would."""
        chose = await self.call("""(el, value) => {
            if (!(el instanceof HTMLSelectElement)) return false;
            el.value = value;
            el.dispatchEvent(new Event("input", {bubbles: true}));
            el.dispatchEvent(new Event("change", {bubbles: true}));
            return el.value === value;
        }""", await self.element(target), value)
        if not chose:
            raise AssertionError(f"{target!r} is not a list with the option {value!r}")

    async def text(self, target: Target = "body") -> str:
        """The rendered text of the element (the whole page by default)."""
        return str(await self.call("(el) => el.innerText", await self.element(target)))

    async def count(self, css: str) -> int:
        return int(await self.call("(css) => document.querySelectorAll(css).length", css))

    async def screenshot(self, name: str) -> Path:
        """The whole page as test-artifacts/screenshots/firefox/<name>-<width>.png."""
        shot = await self.connection.send("browsingContext.captureScreenshot", {
            "context": self.context, "origin": "document"})
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.width}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path
