"""Typed calls to the documents service: the application form, streamed in chunks (R-APP-5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
from tqr.documents.v1 import documents_pb2 as pb
from tqr.documents.v1 import documents_pb2_grpc as rpc

from tqr_gateway.clients import printout

Metadata = tuple[tuple[str, bytes], ...]
FORMATS = {"pdf": pb.FORM_FORMAT_PDF, "docx": pb.FORM_FORMAT_DOCX}


@dataclass
class FileDownload:
    """The file's metadata (read before any byte is sent, so a refusal can still become a page)
    and the rest of the stream."""

    metadata: pb.FileMetadata
    chunks: AsyncIterator[bytes]


class DocumentsClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = rpc.DocumentsServiceStub(channel)

    async def printout_status(self, application_id: str, md: Metadata) -> pb.GetPrintoutStatusResponse | None:
        """R-APP-8: the form's version now and the one last downloaded; None when not answered."""
        return await printout.printout_status(self._stub, application_id, md)

    async def open_form(self, application_id: str, fmt: str, md: Metadata) -> FileDownload:
        """Start the download; raises the service's refusal (e.g. NOT_FOUND) before any chunk."""
        call = self._stub.DownloadApplicationForm(
            pb.DownloadApplicationFormRequest(application_id=application_id, format=FORMATS.get(fmt, 0)),
            metadata=md,
        )
        stream = call.__aiter__()
        first = await stream.__anext__()
        if first.WhichOneof("part") != "metadata":
            call.cancel()
            raise ValueError("the documents service must send the file's metadata first")

        async def rest() -> AsyncIterator[bytes]:
            try:
                async for message in stream:
                    if message.WhichOneof("part") == "chunk":
                        yield message.chunk
            finally:
                call.cancel()  # a browser that went away ends the stream

        return FileDownload(first.metadata, rest())
