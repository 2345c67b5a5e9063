"""Settings of the application service (environment prefix ``APPLICATION_``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict
from servicekit.sealing import parse_keys
from servicekit.service_settings import ServiceSettings, own_amqp_url

# Same key bytes as servicekit.sealing.DEV_KEYS, under a key id that marks it as development-only
# (refused when TQR_ENVIRONMENT=production).
DEV_FIELD_KEYS = "dev-only-1:ZGV2LW9ubHktc2VhbGluZy1rZXktMzItYnl0ZXMhISE="


class ApplicationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPLICATION_", extra="ignore")
    # The service's own broker user (only its part of the bus); TQR_AMQP_URL when unset.
    amqp_url: str = own_amqp_url("APPLICATION_")

    grpc_port: int = 50052
    metrics_port: int = 9102
    database_url: str = "sqlite:///var/data/application.sqlite3"
    # AES-GCM keys sealing identity document numbers at rest ("id:base64,id:base64"; first seals).
    field_keys: str = DEV_FIELD_KEYS
    # HMAC key of the blind index used to look document numbers up; changing it needs a re-index.
    blind_index_key: str = "dev-only-blind-index-key-change-me"
    # R-WIZ-1: the must-read page must have been shown this long before step 2 is accepted.
    must_read_seconds: float = 3.0
    # Page size of staff lists when the caller asks for none, and the most it may ask for.
    default_page_size: int = 20
    max_page_size: int = 200
    # Eligibility pre-check: continuing-education hours needed in five years, unless a row of
    # eligibility_thresholds overrides it (or the other EligibilityPolicy fields) for an authority.
    eligibility_min_continuing_education_hours: int = 360
    # R-APP-9: applicants are reminded this many days before the online and confirmation windows
    # close; how often the deadline jobs (reminders, 逾期未确认, R-SLOT-1's abandoned bookings) look
    # (servicekit.scheduler).
    reminder_days_before_close: int = Field(default=3, ge=1, le=30)
    deadline_jobs_every_seconds: int = Field(default=300, ge=10)
    # R-STAFF-6: how long a staff member's claim on an application lasts (claiming again renews it).
    claim_minutes: int = 30

    @field_validator("field_keys")
    @classmethod
    def _field_keys_parse(cls, value: str) -> str:
        parse_keys(value)
        return value

    @field_validator("blind_index_key")
    @classmethod
    def _blind_index_key_long_enough(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value
