"""Settings of the identity service (environment prefix ``IDENTITY_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore")

    grpc_port: int = 50051
    metrics_port: int = 9101
    database_url: str = "sqlite:///var/data/identity.sqlite3"
