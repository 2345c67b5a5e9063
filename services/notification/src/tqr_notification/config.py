"""Settings of the notification service (environment prefix ``NOTIFICATION_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore")

    grpc_port: int = 50053
    metrics_port: int = 9103
    database_url: str = "sqlite:///var/data/notification.sqlite3"
