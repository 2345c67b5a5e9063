"""Settings of the documents service (environment prefix ``DOCUMENTS_``)."""

from __future__ import annotations

import base64
import binascii
from typing import ClassVar

from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from servicekit.rpc.actor import DEV_DOCUMENTS_SIGNING_KEYS, ActorSigner, development_key_ids
from servicekit.service_settings import ServiceSettings, own_amqp_url
from servicekit.settings import DEV_SECRET_PREFIX

from tqr_documents.adapters import cache_cipher
from tqr_documents.domain.form_code import FormCodeSigner
from tqr_documents.rendering.fonts import DEFAULT_FONT_PATH

# Key id DEV1, key bytes b"dev-only-form-code-key-0123456789abcdef": refused in production because
# the key bytes start with the dev-only marker (the base64 text itself cannot show it).
DEV_FORM_CODE_KEYS = "DEV1:ZGV2LW9ubHktZm9ybS1jb2RlLWtleS0wMTIzNDU2Nzg5YWJjZGVm"
# AES-256-GCM keyring of the form cache; the key id carries the dev-only marker, so production
# refuses it (ServiceSettings).
DEV_CACHE_KEYS = "dev-only-1:ZGV2LW9ubHktZm9ybS1jYWNoZS1rZXktMzItYnl0ZXM="


def parse_keyring(text: str) -> tuple[dict[str, bytes], str]:
    """``"K2:base64,K1:base64"`` → ({key id: key bytes}, id of the first key, which signs)."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise ValueError("form_code_keys entries look like KEYID:base64")
        try:
            keys[key_id.strip()] = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"form_code_keys: key {key_id.strip()} is not valid base64") from exc
    if not keys:
        raise ValueError("form_code_keys needs at least one key")
    return keys, next(iter(keys))


class DocumentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DOCUMENTS_", extra="ignore")
    # The service's own broker user (only its part of the bus); TQR_AMQP_URL when unset.
    amqp_url: str = own_amqp_url("DOCUMENTS_")
    # The default address is `make run`'s application service on this machine.
    required_in_production: ClassVar[tuple[str, ...]] = (
        *ServiceSettings.required_in_production, "application_addresses",
    )

    grpc_port: int = 50054
    metrics_port: int = 9104
    database_url: str = "sqlite:///var/data/documents.sqlite3"
    # HMAC keys of the form code (R-STAFF-2): "KEYID:base64[,KEYID:base64…]", the first signs, the
    # others still verify (rotation). Key ids are 1-8 of A-Z 0-9; keys at least 32 bytes.
    form_code_keys: str = DEV_FORM_CODE_KEYS
    # The render cache's files. Safe to lose (a missing or damaged entry is rendered again), so a
    # pod's own /tmp will do; bounded by cache_max_bytes (least recently used evicted first) and
    # encrypted with cache_keys ("id:base64,id:base64", the first seals, all open), because a form
    # prints the applicant's full document number.
    storage_dir: str = "var/documents-files"
    cache_max_bytes: int = Field(default=128 * 1024 * 1024, gt=0)
    cache_keys: str = DEV_CACHE_KEYS
    # The application service: host:port[,host:port…] or dns:///name:port.
    application_addresses: str = "127.0.0.1:50052"
    application_timeout_seconds: float = 5.0
    # Ed25519 key that signs the documents service's own SYSTEM actor when it reads form data from
    # the application service (servicekit.rpc.actor): ``documents.<label>:<base64url private key>``,
    # the first signs; its public half goes into TQR_ACTOR_VERIFY_KEYS. Default: the development key.
    actor_signing_keys: str = DEV_DOCUMENTS_SIGNING_KEYS
    # A TrueType font with the CJK glyphs the forms print (read by rendering.fonts from the same
    # environment variable, DOCUMENTS_CJK_FONT_PATH).
    cjk_font_path: str = DEFAULT_FONT_PATH
    # Render a sample form at start so the first download does not pay for loading fonts.
    warm_up: bool = True

    @field_validator("form_code_keys")
    @classmethod
    def _form_code_keys_parse(cls, value: str) -> str:
        FormCodeSigner(*parse_keyring(value))  # ids and lengths as the signer will check them
        return value

    @field_validator("actor_signing_keys")
    @classmethod
    def _refuse_bad_signing_keys(cls, value: str) -> str:
        ActorSigner.from_setting(value)
        return value

    def actor_signer(self) -> ActorSigner:
        return ActorSigner.from_setting(self.actor_signing_keys)

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if development_key_ids(self.actor_signing_keys):
            problems.append("set DOCUMENTS_ACTOR_SIGNING_KEYS (still the development key)")
        keys, _ = parse_keyring(self.form_code_keys)
        if any(key.startswith(DEV_SECRET_PREFIX.encode()) for key in keys.values()):
            problems.append("set DOCUMENTS_FORM_CODE_KEYS (still the development key)")
        return problems

    @model_validator(mode="after")
    def _check_cache_keys(self) -> DocumentsSettings:
        cache_cipher.parse_keyring(self.cache_keys)  # a malformed key stops the start, not a download
        return self

    def keyring(self) -> tuple[dict[str, bytes], str]:
        return parse_keyring(self.form_code_keys)
