"""The render cache of application forms (R-APP-5): one rendering per printed content and format.

The key is ``ApplicationForm.content_hash()``: any change to a printed value (an edit, a new status
label) gives a new hash, so a lookup with the current data can never return an older form. Renders
run on one worker thread: ReportLab is CPU-bound Python, and a single worker keeps the event loop
answering other calls between renders (one warm core renders well over 50 PDF forms a second).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from servicekit.clock import Clock
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tqr_documents.adapters import metrics, render_cache
from tqr_documents.adapters.form_cache import FormCache
from tqr_documents.adapters.render_cache import CachedRendering
from tqr_documents.domain.form import ApplicationForm
from tqr_documents.domain.form_code import FormCodeRejected, FormCodeSigner, form_version_of
from tqr_documents.rendering import render_docx, render_pdf

log = logging.getLogger(__name__)

# Bump when the printed layout changes, so that files rendered by the old template stop matching.
LAYOUT_VERSION = 2  # 2: the status line prints the form's version (R-APP-8)

Cause = Literal["event", "on_demand"]
FORMATS: dict[str, tuple[Callable[[ApplicationForm, str], bytes], str]] = {
    "pdf": (render_pdf, "application/pdf"),
    "docx": (render_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


@dataclass(frozen=True)
class RenderedForm:
    application_number: str
    content_hash: str
    form_version: str
    code_text: str
    format: str
    content_type: str
    data: bytes
    from_cache: bool


class RenderedForms:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: FormCache,
        signer: FormCodeSigner,
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.signer = signer
        self.clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents-render")
        # Renders of one key already under way: a download and an event (or two downloads) that
        # arrive together wait for the same render instead of doing it twice.
        self._in_flight: dict[tuple[str, str], asyncio.Future[tuple[bytes, str]]] = {}

    async def get_or_render(
        self,
        application_id: str,
        form: ApplicationForm,
        fmt: str,
        cause: Cause,
        session: AsyncSession | None = None,
    ) -> RenderedForm:
        """The cached rendering of exactly this content, or a fresh one (stored before returning).

        ``session``: an open transaction to record the cache row in (the consumer's); without one the
        lookup and the store use short transactions of their own, and the render runs between them.
        """
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        content_hash = form.content_hash()
        found = await self._cached(content_hash, fmt, session)
        metrics.CACHE_LOOKUPS.labels(fmt, "hit" if found else "miss").inc()
        if found is not None:
            data, code_text = found
            return self._result(form, content_hash, fmt, code_text, data, from_cache=True)
        data, code_text = await self._render_once(form, content_hash, fmt, cause)
        name = self.store.name_for(content_hash, fmt, LAYOUT_VERSION)
        await asyncio.to_thread(self.store.write, name, data)
        row = CachedRendering(application_id, content_hash, fmt, LAYOUT_VERSION, code_text, name, len(data))
        if session is not None:
            stale = await self._record(session, row)
        else:
            async with self.sessions() as own, own.begin():
                stale = await self._record(own, row)
        for old in stale:
            self.store.delete(old)
        return self._result(form, content_hash, fmt, code_text, data, from_cache=False)

    async def warm_up(self, form: ApplicationForm) -> None:
        """Registers the fonts and builds the label subset once, so the first download is not slow."""
        code = self.signer.sign_form(form)
        loop = asyncio.get_running_loop()
        for render, _ in FORMATS.values():
            await loop.run_in_executor(self._executor, render, form, code)

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    async def _cached(self, content_hash: str, fmt: str, session: AsyncSession | None) -> tuple[bytes, str] | None:
        if session is not None:
            row = await render_cache.find(session, content_hash, fmt, LAYOUT_VERSION)
        else:
            async with self.sessions() as own:
                row = await render_cache.find(own, content_hash, fmt, LAYOUT_VERSION)
        if row is None:
            return None
        try:
            self.signer.verify(row.code_text)  # the key that signed it may have left the keyring
        except FormCodeRejected:
            return None
        data = await asyncio.to_thread(self.store.read, row.file_name)
        if data is None or len(data) != row.size:
            return None
        return data, row.code_text

    async def _render_once(self, form: ApplicationForm, content_hash: str, fmt: str, cause: Cause) -> tuple[bytes, str]:
        key = (content_hash, fmt)
        running = self._in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[tuple[bytes, str]] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._render(form, fmt, cause)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        finally:
            del self._in_flight[key]

    async def _render(self, form: ApplicationForm, fmt: str, cause: Cause) -> tuple[bytes, str]:
        render, _ = FORMATS[fmt]
        code_text = self.signer.sign_form(form)
        started = time.perf_counter()
        data = await asyncio.get_running_loop().run_in_executor(self._executor, render, form, code_text)
        elapsed = time.perf_counter() - started
        metrics.RENDERS.labels(fmt, cause).inc()
        metrics.RENDER_DURATION.labels(fmt).observe(elapsed)
        log.info("form rendered", extra={"format": fmt, "cause": cause, "ms": round(elapsed * 1000, 1)})
        return data, code_text

    async def _record(self, session: AsyncSession, row: CachedRendering) -> list[str]:
        await render_cache.save(session, row, self.clock.now())
        # Earlier renderings of this application show data it no longer has: nobody is served
        # them again (lookups use the current hash), so they only take space.
        return list(await render_cache.drop_others(session, row.application_id, row.content_hash))

    def _result(
        self, form: ApplicationForm, content_hash: str, fmt: str, code_text: str, data: bytes, *, from_cache: bool
    ) -> RenderedForm:
        return RenderedForm(
            application_number=form.application_number,
            content_hash=content_hash,
            form_version=form_version_of(form),
            code_text=code_text,
            format=fmt,
            content_type=FORMATS[fmt][1],
            data=data,
            from_cache=from_cache,
        )
