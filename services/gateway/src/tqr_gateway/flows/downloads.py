"""Files handed to the browser: the application form streamed from the documents service (R-APP-5)
and a confirmation point's applicant workbook.

For the form, the first message (the file's metadata) is read before the response starts, so a refusal (another
person's application: NOT_FOUND) still becomes a proper page or problem document; the chunks then
flow through without being held in memory.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse

from tqr_gateway.clients.documents import FORMATS, DocumentsClient
from tqr_gateway.deps import actor_metadata
from tqr_gateway.session import SessionInfo

_UNSAFE = re.compile(r'[^A-Za-z0-9._-]')


def content_disposition(filename: str, display_filename: str) -> str:
    """``attachment`` with an ASCII name for every browser and the Chinese name (RFC 6266/5987)."""
    ascii_name = _UNSAFE.sub("_", filename) or "form"
    value = f'attachment; filename="{ascii_name}"'
    if display_filename:
        value += f"; filename*=UTF-8''{quote(display_filename, safe='')}"
    return value


def normalise_format(fmt: str) -> str:
    fmt = (fmt or "pdf").lower()
    return "docx" if fmt in ("docx", "word", "doc") else "pdf" if fmt not in FORMATS else fmt


async def stream_form(client: DocumentsClient, session: SessionInfo, application_id: str,
                      fmt: str) -> StreamingResponse:
    download = await client.open_form(application_id, normalise_format(fmt), actor_metadata(session))
    meta = download.metadata
    headers = {
        "Content-Disposition": content_disposition(meta.filename, meta.display_filename),
        "Cache-Control": "no-store",  # the form holds personal data
        "X-Content-Type-Options": "nosniff",
    }
    if meta.size:
        headers["Content-Length"] = str(meta.size)
    return StreamingResponse(download.chunks, media_type=meta.content_type or "application/octet-stream",
                             headers=headers)


def xlsx_response(content: bytes, content_type: str, filename: str, display_filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    if display_filename:
        disposition += f"; filename*=UTF-8''{quote(display_filename)}"
    return Response(content, media_type=content_type, headers={
        "Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
