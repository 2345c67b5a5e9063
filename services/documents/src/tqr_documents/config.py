"""Settings of the documents service (environment prefix ``DOCUMENTS_``)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")

    grpc_port: int = 50054
    metrics_port: int = 9104
    database_url: str = "sqlite:///var/data/documents.sqlite3"
