"""Composition root of the identity service: the only place that wires parts together."""

from __future__ import annotations

from servicekit import db
from servicekit.host import HostParts, ServiceHost
from tqr_identity.adapters import orm
from tqr_identity.config import IdentitySettings

SERVICE = "identity"


def build_host(settings: IdentitySettings) -> ServiceHost:
    engine = db.create_engine(settings.database_url)
    parts = HostParts(
        name=SERVICE,
        engine=engine,
        outbox=orm.outbox,
        inbox=orm.inbox,
    )
    return ServiceHost(settings, parts)
