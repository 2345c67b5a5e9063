"""Rendering ahead: when an application is submitted or changes, its PDF is rendered and cached.

Only the PDF is rendered ahead: it is the format most applicants print, and a Word file costs about
three times as much to render (about 37 ms against 12 ms), so it is rendered on its first download
and cached from then on. Correctness never depends on this: a download reads the current data and
renders on the spot when the cache has no rendering of it.
"""

from __future__ import annotations

import logging

from servicekit.errors import NotFound, RuleViolation
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_documents.service_layer.context import DocumentsContext

log = logging.getLogger(__name__)

AHEAD_FORMATS = ("pdf",)


async def render_ahead(ctx: DocumentsContext, session: AsyncSession, application_id: str) -> None:
    """Runs inside the consumer's transaction; raising makes the broker redeliver the event."""
    try:
        snapshot = await ctx.source.form_data(application_id=application_id)
    except NotFound:
        log.warning("application of the event not found; nothing rendered", extra={"application_id": application_id})
        return
    except RuleViolation as exc:  # data the form cannot print yet; the download will say why
        log.warning("form not rendered ahead: %s", exc.code, extra={"application_id": application_id})
        return
    for fmt in AHEAD_FORMATS:
        await ctx.forms.get_or_render(snapshot.application_id, snapshot.form, fmt, "event", session=session)
