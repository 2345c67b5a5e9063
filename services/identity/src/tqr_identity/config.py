"""Settings of the identity service (environment prefix ``IDENTITY_``).

Secrets default to development values whose text starts with ``dev-only-`` (the base class refuses
them when ``TQR_ENVIRONMENT=production``). Base64 keys cannot start with that marker, so key
settings take the form ``<key id>:<base64>`` and the development key ids carry it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.sealing import DEV_KEYS, parse_keys
from servicekit.service_settings import ServiceSettings, own_amqp_url
from servicekit.settings import is_development_value, shared

from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.adapters.crypto.personal_data import PersonalDataError, parse_keyring

DEV_PERSONAL_DATA_KEYS = "dev-only-k1:ZGV2LW9ubHktaWRlbnRpdHktcGVyc29uYWwta2V5ISE="
DEV_INDEX_KEY = "dev-only-ix:ZGV2LW9ubHktaWRlbnRpdHktYmxpbmQtaW5kZXghISE="


def _key_bytes(setting: str) -> set[bytes]:
    """The key material of a keyring setting (``id:base64,…``), whatever the ids say."""
    found = set()
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        try:
            found.add(base64.b64decode(entry.rpartition(":")[2].strip(), validate=True))
        except (binascii.Error, ValueError):
            continue  # the setting's own validator names a malformed key
    return found


# The published development keys, by their bytes: renaming a key's id does not make it secret.
DEV_KEY_MATERIAL = frozenset(_key_bytes(DEV_KEYS) | _key_bytes(DEV_PERSONAL_DATA_KEYS) | _key_bytes(DEV_INDEX_KEY))


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

    # R-ID-5: human checks one client address may be issued per window (each costs a render).
    human_check_issues_per_client: int = 120
    human_check_issue_window_seconds: int = 600

    # Sign-in throttling (R-ID-8, R-ID-15). Failures lock the pair (account, client address) and
    # the client address; an account's failures from everywhere only slow down further attempts
    # from addresses that have not signed in to it before, by at most the back-off cap, so nobody
    # can lock a teacher out from elsewhere.
    login_pair_max_failures: int = 5
    login_client_max_failures: int = 20
    login_window_minutes: int = 15
    login_lock_minutes: int = 15
    login_account_backoff_after: int = 10
    login_account_window_minutes: int = 60
    login_account_backoff_max_seconds: int = 60
    login_known_client_days: int = 90

    # R-ID-7: the version of the user agreement a registration must accept.
    agreement_version: str = "2026-01"

    # R-ID-9: the national identity authority ("dev" = the simulated one, refused in production;
    # "http" = adapters.real_name_http) and the deadline of one verification, retries included.
    real_name_provider: Literal["dev", "http"] = "dev"
    real_name_deadline_seconds: float = 3.0
    # The HTTP authority (contract: services/identity/README.md): where, the API key and the header
    # it travels in, and optionally mutual TLS (our certificate and key; the CA of its server
    # certificate, empty: the system's CAs).
    real_name_http_url: str = ""
    real_name_http_api_key: str = "dev-only-real-name-api-key"
    real_name_http_api_key_header: str = "X-Api-Key"
    real_name_http_client_cert: str = ""
    real_name_http_client_key: str = ""
    real_name_http_ca: str = ""
    # Attempts per verification (same idempotency key), each with its own deadline, and the first
    # pause between them (doubled after each).
    real_name_http_max_attempts: int = Field(default=3, ge=1)
    real_name_http_attempt_seconds: float = Field(default=1.0, gt=0)
    real_name_http_backoff_seconds: float = Field(default=0.2, ge=0)
    # Circuit breaker: failed requests in a row that open it, and the pause before one probe.
    real_name_breaker_failures: int = Field(default=5, ge=1)
    real_name_breaker_cool_down_seconds: float = Field(default=30.0, ge=0)

    # R-ID-9: working-day calendar for the manual-review due date (comma-separated ISO dates).
    holidays: str = ""
    makeup_working_days: str = ""

    # Demo data written by ``python -m tqr_identity seed`` (published passwords and TOTP secrets).
    # Unset: on outside production; production refuses it switched on.
    seed_demo: bool | None = None
    demo_accounts_file: str = "var/demo-accounts.txt"

    @property
    def seeds_demo_data(self) -> bool:
        return self.seed_demo if self.seed_demo is not None else self.environment != "production"

    def production_problems(self) -> list[str]:
        problems = [*super().production_problems(), *self.broker_problems()]
        for name in ("sealing_keys", "personal_data_keys", "personal_data_index_key"):
            value = getattr(self, name)
            # (the development value itself is already named by the base class)
            if _key_bytes(value) & DEV_KEY_MATERIAL and not is_development_value(value):
                problems.append(f"set {self.env_name(name)} (holds a published development key under another id)")
        if self.real_name_provider == "dev":
            problems.append(f"set {self.env_name('real_name_provider')}=http (the simulated authority fails "
                            "every real person)")
        elif not self.real_name_http_url.startswith("https://"):
            problems.append(f"set {self.env_name('real_name_http_url')} to the authority's https address "
                            "(names and document numbers travel there)")
        if self.seed_demo:
            problems.append(f"set {self.env_name('seed_demo')}=false (demo accounts with published passwords)")
        return problems

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
    def _client_certificate_with_its_key(self) -> IdentitySettings:
        if bool(self.real_name_http_client_cert) != bool(self.real_name_http_client_key):
            raise ValueError("IDENTITY_REAL_NAME_HTTP_CLIENT_CERT and IDENTITY_REAL_NAME_HTTP_CLIENT_KEY are "
                             "given together or not at all")
        return self

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
