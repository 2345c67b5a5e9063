"""Settings every service shares, read from the environment with the service's own prefix.

A service subclasses ``ServiceSettings`` and sets ``env_prefix`` (``IDENTITY_``, ``APPLICATION_``…).
Values that every service reads the same way (the broker, Redis, the environment name) also fall
back to an unprefixed ``TQR_…`` variable, so ``make run`` can set them once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit import db

DEV_SECRET_PREFIX = "dev-only-"  # noqa: S105  (a marker, not a secret)


def shared(name: str, prefix: str) -> AliasChoices:
    """Accept ``<PREFIX>NAME`` first, then the system-wide ``TQR_NAME``."""
    return AliasChoices(f"{prefix}{name}", f"TQR_{name}")


class ServiceSettings(BaseSettings):
    """Base settings; subclasses define ``model_config`` with their env prefix."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=AliasChoices("TQR_ENVIRONMENT")
    )
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    metrics_port: int = 0
    database_url: str = ""
    # Where ``migrate`` connects, when not to ``database_url``: past a pooler in transaction mode,
    # straight to PostgreSQL (README "Settings", deploy/README.md).
    migration_database_url: str = ""
    # PostgreSQL connections the process keeps (servicekit.db.POOL_SIZE says why no overflow), and
    # what is in front of PostgreSQL: "transaction" for PgBouncer with pool_mode=transaction.
    db_pool_size: int = Field(default=db.POOL_SIZE, ge=1)
    db_max_overflow: int = Field(default=db.MAX_OVERFLOW, ge=0)
    db_pooler: db.Pooler = "none"
    amqp_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/", validation_alias=AliasChoices("TQR_AMQP_URL")
    )
    exchange: str = Field(default="tqr.events", validation_alias=AliasChoices("TQR_EXCHANGE"))
    queue_prefix: str = Field(default="", validation_alias=AliasChoices("TQR_QUEUE_PREFIX"))
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias=AliasChoices("TQR_REDIS_URL"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("TQR_LOG_LEVEL"))
    log_file: str = Field(default="", validation_alias=AliasChoices("TQR_LOG_FILE"))
    shutdown_grace_seconds: float = 10.0
    # After SIGTERM the service says NOT_SERVING and keeps answering this long, so that load
    # balancers and probes notice before it stops taking calls.
    drain_seconds: float = 1.0
    delivery_limit: int = 3
    prefetch: int = 16
    heartbeat_seconds: int = 30
    outbox_poll_seconds: float = 0.5
    # Larger requests are refused with INVALID_ARGUMENT (a service taking uploads raises it).
    max_request_bytes: int = 4 * 1024 * 1024

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        for name, value in self.model_dump().items():
            if isinstance(value, str) and value.startswith(DEV_SECRET_PREFIX):
                raise ValueError(f"{name} still holds a development secret; set it for production")
        return self
