"""Composition root of the notification service: the only place that wires parts together."""

from __future__ import annotations

from servicekit import db
from servicekit.host import HostParts, ServiceHost
from tqr_notification.adapters import orm
from tqr_notification.config import NotificationSettings

SERVICE = "notification"


def build_host(settings: NotificationSettings) -> ServiceHost:
    engine = db.create_engine(settings.database_url)
    parts = HostParts(
        name=SERVICE,
        engine=engine,
        outbox=orm.outbox,
        inbox=orm.inbox,
    )
    return ServiceHost(settings, parts)
