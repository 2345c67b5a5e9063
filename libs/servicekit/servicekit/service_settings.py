"""The settings every backend service shares (identity, application, notification, documents):
its database, broker, Redis, gRPC server and the keys that verify its callers.

A service subclasses ``ServiceSettings`` and sets ``env_prefix`` (``IDENTITY_``, ``APPLICATION_``…).
The checked base, the production refusals and ``load`` are ``servicekit.settings``'s, which the
gateway uses too; this module is apart so that the gateway, which keeps no database or broker
connection, does not import their drivers (its image does not carry them).
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit import db
from servicekit.rpc.actor import DEV_VERIFY_KEYS, ActorVerifier, development_key_ids
from servicekit.rpc.server import DEFAULT_MAX_CONNECTION_AGE_GRACE_SECONDS, DEFAULT_MAX_CONNECTION_AGE_SECONDS
from servicekit.rpc.tls import TlsFiles
from servicekit.settings import CheckedSettings, shared, tls_problems

DEVELOPMENT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def own_amqp_url(prefix: str) -> Any:
    """The ``amqp_url`` field of a service that reads ``<PREFIX>AMQP_URL`` first: its own broker user,
    whose rights are only its own part of the bus (``servicekit.bus.access``); then ``TQR_AMQP_URL``."""
    return Field(default=DEVELOPMENT_AMQP_URL, validation_alias=shared("AMQP_URL", prefix))


class ServiceSettings(CheckedSettings):
    """Base settings; subclasses define ``model_config`` with their env prefix."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)
    required_in_production: ClassVar[tuple[str, ...]] = ("database_url", "amqp_url", "redis_url")

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
    # Each service's settings read its own <PREFIX>AMQP_URL first (``own_amqp_url``).
    amqp_url: str = Field(default=DEVELOPMENT_AMQP_URL, validation_alias=AliasChoices("TQR_AMQP_URL"))
    exchange: str = Field(default="tqr.events", validation_alias=AliasChoices("TQR_EXCHANGE"))
    queue_prefix: str = Field(default="", validation_alias=AliasChoices("TQR_QUEUE_PREFIX"))
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias=AliasChoices("TQR_REDIS_URL"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("TQR_LOG_LEVEL"))
    log_file: str = Field(default="", validation_alias=AliasChoices("TQR_LOG_FILE"))
    shutdown_grace_seconds: float = 10.0
    # After SIGTERM the service says NOT_SERVING (readiness) and keeps answering this long, so that
    # probes and DNS let it go and callers (reconnecting within the connection age) learn the
    # replicas that stay, before liveness says NOT_SERVING and callers send it nothing more.
    drain_seconds: float = 1.0
    # Each caller's connection is closed after about this long (and in-flight calls on it get the
    # grace), so callers reconnect and ask DNS again: a replica added at peak gets its share within
    # seconds. 0 keeps connections for as long as they last.
    max_connection_age_seconds: float = Field(default=DEFAULT_MAX_CONNECTION_AGE_SECONDS, ge=0)
    max_connection_age_grace_seconds: float = Field(default=DEFAULT_MAX_CONNECTION_AGE_GRACE_SECONDS, ge=0)
    delivery_limit: int = 3
    prefetch: int = 16
    heartbeat_seconds: int = 30
    outbox_poll_seconds: float = 0.5
    # Scheduled jobs (servicekit.scheduler; application and identity have some): how often each
    # replica looks for a due job (0: never, jobs run only when called), and how long a replica
    # that took a job's lease keeps it before another may take the job over.
    scheduler_poll_seconds: float = Field(default=30.0, ge=0)
    scheduler_lease_seconds: float = Field(default=600.0, gt=0)
    # Larger requests are refused with INVALID_ARGUMENT (a service taking uploads raises it).
    max_request_bytes: int = 4 * 1024 * 1024
    # gRPC server reflection lists every service and message to whoever reaches the port. Unset: on
    # in development and test (grpcurl and friends), off in production.
    grpc_reflection: bool | None = None
    # Public keys that verify the callers' signed actors (rpc.actor), ``<holder>.<label>:<base64url>``
    # comma-separated: every key verifies, so a new signing key is added here before the gateway
    # signs with it (rotation). The default is the development keys, refused in production.
    actor_verify_keys: str = Field(default=DEV_VERIFY_KEYS, validation_alias=AliasChoices("TQR_ACTOR_VERIFY_KEYS"))

    @model_validator(mode="after")
    def _refuse_half_tls(self) -> ServiceSettings:
        if self.tls.partly_configured:
            raise ValueError("the TLS settings (TLS_CERT, TLS_KEY, TLS_CA) are given together or not at all")
        return self

    @field_validator("actor_verify_keys")
    @classmethod
    def _refuse_bad_verify_keys(cls, value: str) -> str:
        ActorVerifier.from_setting(value)  # a malformed entry stops the start, named in the message
        return value

    # Mutual TLS (servicekit.rpc.tls): this process's certificate and key and the CA every peer's
    # chains to (PEM files). Unset: plain gRPC, development only.
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca: str = ""
    # Health alone in plain gRPC (the kubelet's probes speak no TLS) beside the TLS port; -1: none.
    health_port: int = -1

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(self.tls_cert, self.tls_key, self.tls_ca)

    def actor_verifier(self) -> ActorVerifier:
        return ActorVerifier.from_setting(self.actor_verify_keys)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if development_key_ids(self.actor_verify_keys):
            problems.append(f"set {self.env_name('actor_verify_keys')} (it still trusts the development keys)")
        problems += tls_problems(self.tls, self.env_name("tls_cert"), self.env_name("tls_key"), self.env_name("tls_ca"))
        return problems

    @property
    def reflection_enabled(self) -> bool:
        if self.grpc_reflection is not None:
            return self.grpc_reflection
        return self.environment != "production"

    def broker_problems(self) -> list[str]:
        """A production check a service adds to its ``production_problems``: the broker user is not
        RabbitMQ's guest."""
        if broker_user(self.amqp_url) == DEV_BROKER_USER:
            return [f"set {self.env_name('amqp_url')} (RabbitMQ's guest user is for development)"]
        return []


# RabbitMQ's built-in account: its password is public and it exists on every fresh broker.
DEV_BROKER_USER = "guest"


def broker_user(amqp_url: str) -> str:
    """The user an AMQP URL signs in as; RabbitMQ's default (guest) when it names none (aio-pika
    signs in as guest then)."""
    try:
        user = urlsplit(amqp_url).username
    except ValueError:
        return ""
    return DEV_BROKER_USER if user is None else user
