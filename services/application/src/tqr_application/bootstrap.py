"""Composition root of the application service: the only place that wires parts together."""

from __future__ import annotations

from servicekit import db
from servicekit.host import HostParts, ServiceHost
from tqr_application.adapters import orm
from tqr_application.config import ApplicationSettings

SERVICE = "application"


def build_host(settings: ApplicationSettings) -> ServiceHost:
    engine = db.create_engine(settings.database_url)
    parts = HostParts(
        name=SERVICE,
        engine=engine,
        outbox=orm.outbox,
        inbox=orm.inbox,
    )
    return ServiceHost(settings, parts)
