"""Settings of the notification service (environment prefix ``NOTIFICATION_``)."""

from __future__ import annotations

import ipaddress
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict
from servicekit.sealing import DEV_KEYS, parse_keys
from servicekit.service_settings import ServiceSettings, own_amqp_url
from servicekit.settings import shared

# Same key bytes as servicekit.sealing.DEV_KEYS, under a key id that marks it as development-only
# (refused when TQR_ENVIRONMENT=production). Seals contacts and message texts at rest.
DEV_FIELD_KEYS = "dev-only-1:ZGV2LW9ubHktc2VhbGluZy1rZXktMzItYnl0ZXMhISE="


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATION_", extra="ignore", populate_by_name=True)
    # The service's own broker user (only its part of the bus); TQR_AMQP_URL when unset.
    amqp_url: str = own_amqp_url("NOTIFICATION_")
    # The defaults are the development sink on 127.0.0.1:1025, a localhost link and an example sender.
    required_in_production: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.required_in_production, "smtp_host", "smtp_port", "mail_from_address", "site_url",
    )

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

    # The link shown in messages: the site's public address, which the gateway reads from the same
    # TQR_PUBLIC_URL (so a deployment sets it once).
    site_url: str = Field(default="http://localhost:8000/",
                          validation_alias=AliasChoices("NOTIFICATION_SITE_URL", "TQR_PUBLIC_URL"))

    # Dispatcher: sends queued deliveries.
    dispatch_concurrency: int = 64
    dispatch_poll_seconds: float = 0.5
    # A claimed delivery not marked within this time (its sender died) is claimed again.
    dispatch_lease_seconds: float = 120.0
    # Broadcasts (R-STAFF-7) go on the low-priority path: claimed only when no code or status
    # message is due, at most this many in flight (kept below dispatch_concurrency, so that room
    # for a code is always left) and at most this many started per second by each replica.
    broadcast_concurrency: int = 8
    broadcast_rate_per_second: float = 20.0
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

    @field_validator("sealing_keys", "field_keys")
    @classmethod
    def _keys_parse(cls, value: str) -> str:
        parse_keys(value)
        return value

    @field_validator("recipient_hmac_key")
    @classmethod
    def _hmac_key_long_enough(cls, value: str) -> str:
        if len(value.encode()) < 16:
            raise ValueError("must be at least 16 bytes")
        return value

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        for channel in ("sms", "alternative"):
            provider = f"{channel}_provider"
            if getattr(self, provider) == "dev":
                problems.append(f"set {self.env_name(provider)}=http (the development provider keeps codes "
                                "in clear on disk)")
            elif not getattr(self, f"{channel}_http_url"):
                problems.append(f"set {self.env_name(f'{channel}_http_url')} (the http provider posts there)")
        if self.dev_smtp_sink:
            problems.append("NOTIFICATION_DEV_SMTP_SINK must be off in production (it keeps emails in clear on disk)")
        if self.smtp_starttls and self.smtp_implicit_tls:
            problems.append("NOTIFICATION_SMTP_STARTTLS and NOTIFICATION_SMTP_IMPLICIT_TLS exclude each other")
        if self.smtp_password and not (self.smtp_starttls or self.smtp_implicit_tls):
            problems.append("turn on NOTIFICATION_SMTP_STARTTLS or NOTIFICATION_SMTP_IMPLICIT_TLS (the SMTP "
                            "password would travel in clear)")
        if "site_url" in self.model_fields_set and not is_public_https_url(self.site_url):
            problems.append(f"set {self.env_name('site_url')} to the https address people use (the links in "
                            "messages point elsewhere)")
        return problems


def is_public_https_url(url: str) -> bool:
    """An https URL whose host is a name or address people can reach: not localhost, a loopback or
    an unspecified address."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme != "https" or not host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return not (address.is_loopback or address.is_unspecified)
