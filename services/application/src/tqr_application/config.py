"""Settings of the application service (environment prefix ``APPLICATION_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.settings import ServiceSettings


class ApplicationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPLICATION_", extra="ignore")

    grpc_port: int = 50052
    metrics_port: int = 9102
    database_url: str = "sqlite:///var/data/application.sqlite3"
