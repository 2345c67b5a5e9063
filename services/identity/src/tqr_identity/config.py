"""Settings of the identity service (environment prefix ``IDENTITY_``).

Secrets default to development values whose text starts with ``dev-only-`` (the base class refuses
them when ``TQR_ENVIRONMENT=production``). Base64 keys cannot start with that marker, so key
settings take the form ``<key id>:<base64>`` and the development key ids carry it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.sealing import DEV_KEYS, parse_keys
from servicekit.settings import ServiceSettings, own_amqp_url, shared

from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.adapters.crypto.personal_data import PersonalDataError, parse_keyring

DEV_PERSONAL_DATA_KEYS = "dev-only-k1:ZGV2LW9ubHktaWRlbnRpdHktcGVyc29uYWwta2V5ISE="
DEV_INDEX_KEY = "dev-only-ix:ZGV2LW9ubHktaWRlbnRpdHktYmxpbmQtaW5kZXghISE="


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore", populate_by_name=True)
    # The service's own broker user (only its part of the bus); TQR_AMQP_URL when unset.
    amqp_url: str = own_amqp_url("IDENTITY_")

    grpc_port: int = 50051
    metrics_port: int = 9101
    database_url: str = "sqlite:///var/data/identity.sqlite3"
    redis_key_prefix: str = "tqr:identity"

    # Personal data at rest (document number, mobile, email, TOTP secrets): AES-256-GCM keyring
    # "id:base64,id:base64", the id sealing new values (empty: the keyring's first key, as every
    # other keyring of the system), and the blind-index HMAC key "[id:]base64".
    personal_data_keys: str = DEV_PERSONAL_DATA_KEYS
    personal_data_primary_key_id: str = ""
    personal_data_index_key: str = DEV_INDEX_KEY
    # Keys sealing values for the notification service (contacts, code destinations).
    sealing_keys: str = Field(default=DEV_KEYS, validation_alias=shared("SEALING_KEYS", "IDENTITY_"))
    # HMAC key hiding code destinations and client ids in Redis keys (at least 16 bytes).
    code_secret: str = "dev-only-verification-code-secret"  # noqa: S105 - refused in production

    # Photos of documents for manual review and support requests (kept encrypted in the database).
    max_photo_bytes: int = 5 * 1024 * 1024
    max_photos: int = 4
    # Manual review and support requests carry up to max_photos photos in one request.
    max_request_bytes: int = 24 * 1024 * 1024

    # argon2id (R-ID-3). Raising them is safe: hashes are renewed at the next sign-in.
    argon2_memory_kib: int = 47104
    argon2_time_cost: int = 1
    argon2_parallelism: int = 1
    argon2_max_concurrent: int = 4

    # Sessions (R-ID-12).
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12

    # Verification codes (R-ID-6).
    code_validity_seconds: int = 300
    code_resend_cooldown_seconds: int = 60
    code_max_wrong_attempts: int = 5
    code_daily_cap_per_destination: int = 10
    code_daily_cap_per_client: int = 20
    human_pass_ttl_seconds: int = 300

    # R-ID-11: support requests sent without signing in (lost mobile or email): daily caps per
    # client and per document, and the working days promised for a reviewer's answer.
    support_anon_daily_per_client: int = 5
    support_anon_daily_per_document: int = 3
    support_anon_answer_working_days: int = 7

    # Sign-in throttling (R-ID-8).
    login_account_max_failures: int = 5
    login_client_max_failures: int = 20
    login_window_minutes: int = 15
    login_lock_minutes: int = 15

    # R-ID-7: the version of the user agreement a registration must accept.
    agreement_version: str = "2026-01"

    # R-ID-9: the national identity authority ("dev" = the simulated one) and its deadline.
    real_name_provider: Literal["dev"] = "dev"
    real_name_deadline_seconds: float = 3.0

    # R-ID-9: working-day calendar for the manual-review due date (comma-separated ISO dates).
    holidays: str = ""
    makeup_working_days: str = ""

    # Demo data written by ``python -m tqr_identity seed``.
    seed_demo: bool = True
    demo_accounts_file: str = "var/demo-accounts.txt"

    @field_validator("sealing_keys")
    @classmethod
    def _sealing_keys_parse(cls, value: str) -> str:
        parse_keys(value)
        return value

    @field_validator("personal_data_keys")
    @classmethod
    def _personal_data_keys_parse(cls, value: str) -> str:
        parse_keyring(value)
        return value

    @field_validator("code_secret")
    @classmethod
    def _code_secret_long_enough(cls, value: str) -> str:
        if len(value.encode()) < 16:
            raise ValueError("must be at least 16 bytes")
        return value

    @model_validator(mode="after")
    def _personal_data_keys_build_a_cipher(self) -> IdentitySettings:
        """The primary id and the index key against the keyring, as the service will use them (the
        errors name no key material)."""
        try:
            AccountCrypto.from_settings(
                self.personal_data_keys, self.personal_data_primary_key_id, self.personal_data_index_key)
        except PersonalDataError as error:
            setting = "PRIMARY_KEY_ID" if "primary" in str(error) else "INDEX_KEY"
            raise ValueError(f"IDENTITY_PERSONAL_DATA_{setting}: {error}") from None
        return self
