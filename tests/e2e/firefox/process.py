"""Starting Debian's Firefox ESR with its WebDriver BiDi server, in a throwaway home and profile,
and stopping it again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from websockets.asyncio.client import connect

from tests.e2e.firefox.bidi import BidiError, Connection
from tests.e2e.firefox.page import Page

FIREFOX = "/usr/bin/firefox-esr"
STARTUP_TIMEOUT = 60.0
LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")

# A quiet browser: no updates, telemetry, studies, remote settings or first-run pages; nothing
# leaves the machine, so runs do not depend on the network.
PREFERENCES: dict[str, bool | int | str] = {
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.sessionstore.resume_from_crash": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False,
    "layout.css.devPixelsPerPx": "1.0",
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.proxy.type": 0,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    # Scrollbars that take no room, as on a phone: a 375 px viewport lays out 375 px of page.
    "ui.useOverlayScrollbars": 1,
}



class Firefox:
    """One Firefox process and its BiDi session."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @contextlib.asynccontextmanager
    async def page(self, width: int = 1280, height: int = 900) -> AsyncIterator[Page]:
        """A new tab in a user context of its own (its own cookies and storage), with the given
        viewport; the context and its tabs are removed afterwards."""
        user_context = (await self.connection.send("browser.createUserContext"))["userContext"]
        try:
            created = await self.connection.send("browsingContext.create", {"type": "tab", "userContext": user_context})
            page = Page(self.connection, created["context"])
            await page.set_viewport(width, height)
            yield page
        finally:
            with contextlib.suppress(BidiError):
                await self.connection.send("browser.removeUserContext", {"userContext": user_context})


@contextlib.asynccontextmanager
async def launch() -> AsyncIterator[Firefox]:
    """Firefox ESR, headless, in a throwaway home and profile (downloads go there too); closed and
    removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix="tqr-firefox-"))
    profile = home / "profile"
    profile.mkdir()
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n" for name, value in PREFERENCES.items()))
    log_path = home / "firefox.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--remote-debugging-port=0", "--profile", str(profile),
             "about:blank"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "HOME": str(home), "MOZ_HEADLESS": "1"})
    connection: Connection | None = None
    closing = False
    try:
        address = await _address_of(process, log_path)
        socket = await connect(f"{address}/session", max_size=None, open_timeout=STARTUP_TIMEOUT)
        connection = Connection(socket)
        await connection.send("session.new", {"capabilities": {}})
        await connection.send("session.subscribe", {"events": ["browsingContext.load", "browsingContext.downloadEnd"]})
        downloads = home / "downloads"
        downloads.mkdir()
        await connection.send("browser.setDownloadBehavior", {
            "downloadBehavior": {"type": "allowed", "destinationFolder": str(downloads)}})
        yield Firefox(connection)
    finally:
        if connection is not None:
            with contextlib.suppress(BidiError, TimeoutError):
                await connection.send("browser.close", timeout=10)
                closing = True
            await connection.close()
        await _stop(process, closing)
        shutil.rmtree(home, ignore_errors=True)


async def _address_of(process: subprocess.Popen[bytes], log_path: Path) -> str:
    """The WebSocket address Firefox prints once its BiDi server listens."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        found = LISTENING.search(log_path.read_text(errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        await asyncio.sleep(0.1)
    raise BidiError(f"Firefox did not start its BiDi server:\n{log_path.read_text(errors='replace')[-3000:]}")


async def _stop(process: subprocess.Popen[bytes], closing: bool) -> None:
    """Give Firefox time to exit after browser.close; otherwise end its process group (the one it
    was started in, so its content processes go with it)."""
    if closing:
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(process.wait, 20)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await asyncio.to_thread(process.wait)
