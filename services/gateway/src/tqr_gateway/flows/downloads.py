"""Files handed to the browser: the application form streamed from the documents service (R-APP-5)
and a confirmation point's applicant workbook.

For the form, the first message (the file's metadata) is read before the response starts, so a refusal (another
person's application: NOT_FOUND) still becomes a proper page or problem document; the chunks then
flow through without being held in memory.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends
from fastapi.responses import Response, StreamingResponse

from tqr_gateway.clients.documents import FORMATS, DocumentsClient
from tqr_gateway.deps import Refused, actor_metadata
from tqr_gateway.security.refusals import Refusal, refuses_with
from tqr_gateway.session import SessionInfo

_UNSAFE = re.compile(r'[^A-Za-z0-9._-]')


def content_disposition(filename: str, display_filename: str) -> str:
    """``attachment`` with an ASCII name for every browser and the Chinese name (RFC 6266/5987)."""
    ascii_name = _UNSAFE.sub("_", filename) or "form"
    value = f'attachment; filename="{ascii_name}"'
    if display_filename:
        value += f"; filename*=UTF-8''{quote(display_filename, safe='')}"
    return value


# The names a link or a program may give each format; anything else is refused, not answered with
# the PDF (a caller asking for a format we do not make would otherwise get a file it did not ask for).
FORMAT_NAMES = {"": "pdf", "pdf": "pdf", "docx": "docx", "word": "docx", "doc": "docx"}
UNKNOWN_FORMAT = Refusal(422, "UNKNOWN_FORMAT", "不提供该格式的申请表。请选择 PDF 或 Word（docx）格式。",
                         "The form is not offered in that format. Choose PDF or Word (docx).")


def normalise_format(fmt: str) -> str:
    """``pdf`` or ``docx``; raises ``Refused`` (422) for a format the documents service does not make."""
    name = FORMAT_NAMES.get((fmt or "").strip().lower())
    if name is None or name not in FORMATS:
        raise Refused(UNKNOWN_FORMAT)
    return name


@refuses_with(422)
async def form_format(format: str = "pdf") -> str:
    """The ``format`` query parameter as ``pdf`` or ``docx``, checked before any service is asked."""
    return normalise_format(format)


FormFormat = Annotated[str, Depends(form_format)]


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
