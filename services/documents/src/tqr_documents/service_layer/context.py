"""What the use cases share: built once in ``bootstrap`` (or by a test with fakes)."""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.clock import Clock
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.service_layer.ports import ApplicationSource
from tqr_documents.service_layer.rendered_forms import RenderedForms


@dataclass
class DocumentsContext:
    sessions: async_sessionmaker[AsyncSession]
    source: ApplicationSource
    forms: RenderedForms
    signer: FormCodeSigner
    clock: Clock
