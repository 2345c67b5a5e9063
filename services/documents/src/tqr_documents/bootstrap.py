"""Composition root of the documents service: the only place that wires parts together."""

from __future__ import annotations

import os
from pathlib import Path

import grpc
from servicekit import db
from servicekit.clock import Clock, SystemClock
from servicekit.host import HostParts, ServiceHost
from servicekit.rpc.tls import Callers
from tqr.documents.v1 import documents_pb2_grpc

from tqr_documents.adapters import orm
from tqr_documents.adapters.application_client import GrpcApplicationSource
from tqr_documents.adapters.cache_cipher import CacheCipher
from tqr_documents.adapters.form_cache import FormCache
from tqr_documents.config import DocumentsSettings
from tqr_documents.domain.demo_forms import demo_form
from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.entrypoints.consumer import build_subscriptions
from tqr_documents.entrypoints.grpc_servicer import DocumentsServicer
from tqr_documents.rendering.fonts import FONT_PATH_ENV
from tqr_documents.service_layer.context import DocumentsContext
from tqr_documents.service_layer.ports import ApplicationSource
from tqr_documents.service_layer.rendered_forms import RenderedForms

SERVICE = "documents"
SERVICE_NAMES = ["tqr.documents.v1.DocumentsService"]
# Over mutual TLS only the gateway calls documents (servicekit.rpc.tls).
CALLERS = Callers({"/tqr.documents.v1.DocumentsService/*": {"gateway"}})


def build_host(
    settings: DocumentsSettings,
    *,
    source: ApplicationSource | None = None,
    clock: Clock | None = None,
    consume_events: bool = True,
) -> ServiceHost:
    """``source`` replaces the gRPC client of the application service (tests); ``consume_events``
    False runs without the broker (the download benchmark)."""
    if not Path(settings.cjk_font_path).is_file():
        raise ValueError(f"cjk_font_path {settings.cjk_font_path} is not a file")
    # rendering.fonts reads the path from the environment when it first registers the fonts.
    os.environ[FONT_PATH_ENV] = settings.cjk_font_path
    engine = db.engine_for(settings)
    sessions = db.sessionmaker(engine)
    the_clock = clock or SystemClock()
    keys, current = settings.keyring()
    signer = FormCodeSigner(keys, current)
    owned_client = None if source is not None else GrpcApplicationSource(
        settings.application_addresses, settings.actor_signer(), settings.application_timeout_seconds,
        tls=settings.tls,
    )
    application_source: ApplicationSource = source if source is not None else owned_client  # type: ignore[assignment]
    cache = FormCache(settings.storage_dir, settings.cache_max_bytes, CacheCipher.from_config(settings.cache_keys))
    forms = RenderedForms(sessions, cache, signer, the_clock)
    ctx = DocumentsContext(sessions=sessions, source=application_source, forms=forms, signer=signer, clock=the_clock)

    def register(server: grpc.aio.Server) -> None:
        documents_pb2_grpc.add_DocumentsServiceServicer_to_server(DocumentsServicer(ctx), server)

    async def warm_up() -> None:
        if settings.warm_up:
            await forms.warm_up(demo_form(0))

    async def close() -> None:
        forms.close()
        if owned_client is not None:
            await owned_client.close()

    parts = HostParts(
        callers=CALLERS,
        name=SERVICE,
        engine=engine,
        register=[register],
        service_names=SERVICE_NAMES,
        outbox=orm.outbox if consume_events else None,
        inbox=orm.inbox if consume_events else None,
        subscriptions=build_subscriptions(ctx) if consume_events else {},
        on_start=[warm_up],
        on_stop=[close],
    )
    host = ServiceHost(settings, parts)
    host.context = ctx  # type: ignore[attr-defined]  # tests reach the use cases' context through the host
    return host
