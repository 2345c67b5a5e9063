"""Composition root of the documents service: the only place that wires parts together."""

from __future__ import annotations

from servicekit import db
from servicekit.host import HostParts, ServiceHost

from tqr_documents.adapters import orm
from tqr_documents.config import DocumentsSettings

SERVICE = "documents"


def build_host(settings: DocumentsSettings) -> ServiceHost:
    engine = db.create_engine(settings.database_url)
    parts = HostParts(
        name=SERVICE,
        engine=engine,
        outbox=orm.outbox,
        inbox=orm.inbox,
    )
    return ServiceHost(settings, parts)
