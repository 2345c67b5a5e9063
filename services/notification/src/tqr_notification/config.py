"""Settings of the notification service (environment prefix ``NOTIFICATION_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.sealing import DEV_KEYS
from servicekit.settings import ServiceSettings, shared

# Same key bytes as servicekit.sealing.DEV_KEYS, under a key id that marks it as development-only
# (refused when TQR_ENVIRONMENT=production). Seals contacts and message texts at rest.
DEV_FIELD_KEYS = "dev-only-1:ZGV2LW9ubHktc2VhbGluZy1rZXktMzItYnl0ZXMhISE="


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore", populate_by_name=True)

    grpc_port: int = 50053
    metrics_port: int = 9103
    database_url: str = "sqlite:///var/data/notification.sqlite3"

    # Keys that open what identity sealed for us (contacts, code destinations); shared with identity.
    sealing_keys: str = Field(default=DEV_KEYS, validation_alias=shared("SEALING_KEYS", "NOTIFICATION_"))
    # Keys sealing contacts, destinations and message texts in our own database.
    field_keys: str = DEV_FIELD_KEYS
    # HMAC key hiding destinations in the recipient-limit keys in Redis (at least 16 bytes).
    recipient_hmac_key: str = "dev-only-recipient-hmac-key-change-me"
    redis_key_prefix: str = "tqr:notification"

    # Email over SMTP.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = False
    smtp_implicit_tls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 15.0
    smtp_validate_certs: bool = True
    mail_from_address: str = "noreply@tqr.example.cn"
    mail_from_name: str = "教师资格定期注册"

    # SMS and the alternative code channel: "dev" writes to the outbox dir, "http" posts JSON.
    sms_provider: Literal["dev", "http"] = "dev"
    sms_http_url: str = ""
    sms_http_api_key: str = "dev-only-sms-api-key"
    alternative_provider: Literal["dev", "http"] = "dev"
    alternative_http_url: str = ""
    alternative_http_api_key: str = "dev-only-alternative-api-key"

    # Development outbox: emails (through the local SMTP sink) and dev SMS land here.
    outbox_dir: str = "var/outbox"
    # None = on in development, off elsewhere.
    dev_smtp_sink: bool | None = None

    # The link shown in messages.
    site_url: str = "http://localhost:8000/"

    # Dispatcher: sends queued deliveries.
    dispatch_concurrency: int = 64
    dispatch_poll_seconds: float = 0.5
    # A claimed delivery not marked within this time (its sender died) is claimed again.
    dispatch_lease_seconds: float = 120.0
    retry_max_attempts: int = 6
    retry_base_seconds: float = 2.0
    retry_cap_seconds: float = 300.0

    # Per-recipient flood limit on email and SMS (in-app messages are never limited).
    recipient_limit_max_messages: int = 20
    recipient_limit_window_seconds: int = 3600
    code_limit_max_messages: int = 10
    code_limit_window_seconds: int = 3600

    @property
    def runs_dev_smtp_sink(self) -> bool:
        return self.environment == "development" if self.dev_smtp_sink is None else self.dev_smtp_sink

    @model_validator(mode="after")
    def _refuse_development_parts_in_production(self) -> NotificationSettings:
        if self.environment != "production":
            return self
        if self.sealing_keys == DEV_KEYS:
            raise ValueError("sealing_keys still holds the development key; set it for production")
        if "dev" in (self.sms_provider, self.alternative_provider) or self.dev_smtp_sink:
            raise ValueError("the development SMS provider and SMTP sink keep codes in clear on disk; "
                             "configure real providers for production")
        return self
