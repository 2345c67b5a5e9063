"""Settings: development defaults work, and refuse to run in production."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError
from servicekit.sealing import DEV_KEYS
from servicekit.settings import SettingsRefused, load
from testkit.production import trust_env
from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.config import DEV_INDEX_KEY, DEV_PERSONAL_DATA_KEYS, IdentitySettings


def test_development_defaults_build_a_working_cipher(monkeypatch) -> None:
    monkeypatch.delenv("TQR_ENVIRONMENT", raising=False)
    settings = IdentitySettings()
    crypto = AccountCrypto.from_settings(settings.personal_data_keys, settings.personal_data_primary_key_id,
                                         settings.personal_data_index_key)
    token = crypto.seal("accounts", "a1", "mobile", "13812345678")
    assert "13812345678" not in token and crypto.open("accounts", "a1", "mobile", token) == "13812345678"
    assert settings.sealing_keys == DEV_KEYS


def test_sealing_keys_are_shared_with_tqr_sealing_keys(monkeypatch) -> None:
    monkeypatch.setenv("TQR_SEALING_KEYS", "k9:" + "A" * 43 + "=")
    assert IdentitySettings().sealing_keys.startswith("k9:")


def test_development_secrets_are_refused_in_production(monkeypatch) -> None:
    monkeypatch.setenv("TQR_ENVIRONMENT", "production")
    with pytest.raises(ValueError, match="development secret"):
        IdentitySettings()


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


DEV_SEALING_MATERIAL = DEV_KEYS.split(":", 1)[1]
DEV_PERSONAL_MATERIAL = DEV_PERSONAL_DATA_KEYS.split(":", 1)[1]
DEV_INDEX_MATERIAL = DEV_INDEX_KEY.split(":", 1)[1]


@pytest.fixture
def production(monkeypatch):
    """A complete production environment; a test overrides one variable at a time."""
    values = {
        "TQR_ENVIRONMENT": "production", "IDENTITY_DATABASE_URL": "postgresql://db/identity",
        "TQR_AMQP_URL": "amqp://identity:secret@mq:5672/", "TQR_REDIS_URL": "redis://cache/0",
        "IDENTITY_PERSONAL_DATA_KEYS": f"k1:{_key()}", "IDENTITY_PERSONAL_DATA_INDEX_KEY": _key(),
        "TQR_SEALING_KEYS": f"s1:{_key()}", "IDENTITY_CODE_SECRET": "a-real-code-secret-of-enough-length",
        **trust_env("identity"),
    }
    for name in ("IDENTITY_SEED_DEMO", "IDENTITY_SEALING_KEYS", "IDENTITY_GRPC_REFLECTION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def _refusal() -> str:
    with pytest.raises(SettingsRefused) as refused:
        load("identity", IdentitySettings)
    return str(refused.value)


def test_complete_production_settings_load_without_demo_data_or_reflection(production) -> None:
    settings = load("identity", IdentitySettings)
    assert not settings.seeds_demo_data and not settings.reflection_enabled


@pytest.mark.parametrize(("variable", "value", "named"), [
    ("TQR_SEALING_KEYS", f"prod:{DEV_SEALING_MATERIAL}", "IDENTITY_SEALING_KEYS or TQR_SEALING_KEYS"),
    ("TQR_SEALING_KEYS", f"s2:{base64.b64encode(b'r' * 32).decode()},old:{DEV_SEALING_MATERIAL}",
     "IDENTITY_SEALING_KEYS or TQR_SEALING_KEYS"),
    ("IDENTITY_PERSONAL_DATA_KEYS", f"k1:{DEV_PERSONAL_MATERIAL}", "IDENTITY_PERSONAL_DATA_KEYS"),
    ("IDENTITY_PERSONAL_DATA_INDEX_KEY", f"ix:{DEV_INDEX_MATERIAL}", "IDENTITY_PERSONAL_DATA_INDEX_KEY"),
])
def test_production_refuses_a_published_development_key_under_another_id(production, variable, value, named) -> None:
    production.setenv(variable, value)
    assert _refusal() == f"identity: set {named} (holds a published development key under another id)"


@pytest.mark.parametrize("url", ["amqp://guest:guest@mq:5672/", "amqp://mq:5672/"])
def test_production_refuses_the_brokers_guest_user(production, url) -> None:
    production.setenv("TQR_AMQP_URL", url)
    assert _refusal() == "identity: set IDENTITY_AMQP_URL or TQR_AMQP_URL (RabbitMQ's guest user is for development)"


def test_production_refuses_demo_seeding(production) -> None:
    production.setenv("IDENTITY_SEED_DEMO", "true")
    assert _refusal() == "identity: set IDENTITY_SEED_DEMO=false (demo accounts with published passwords)"


def test_outside_production_demo_data_and_reflection_stay_on(monkeypatch) -> None:
    for name in ("TQR_ENVIRONMENT", "IDENTITY_SEED_DEMO", "IDENTITY_GRPC_REFLECTION"):
        monkeypatch.delenv(name, raising=False)
    settings = IdentitySettings()
    assert settings.seeds_demo_data and settings.reflection_enabled


def test_r_id_13_production_refuses_the_simulated_identity_authority(production) -> None:
    production.setenv("IDENTITY_REAL_NAME_PROVIDER", "dev")
    refusal = _refusal()
    assert "IDENTITY_REAL_NAME_PROVIDER=http" in refusal and "\n" not in refusal


def test_r_id_13_production_sends_names_and_numbers_only_over_https(production) -> None:
    production.setenv("IDENTITY_REAL_NAME_HTTP_URL", "http://authority.example/v1/verifications")
    assert "IDENTITY_REAL_NAME_HTTP_URL" in _refusal()
    production.delenv("IDENTITY_REAL_NAME_HTTP_URL")
    assert "IDENTITY_REAL_NAME_HTTP_URL" in _refusal()


def test_r_id_13_production_refuses_the_development_api_key_of_the_authority(production) -> None:
    production.delenv("IDENTITY_REAL_NAME_HTTP_API_KEY")
    assert "IDENTITY_REAL_NAME_HTTP_API_KEY" in _refusal()


def test_r_id_13_a_client_certificate_comes_with_its_key(monkeypatch) -> None:
    monkeypatch.setenv("IDENTITY_REAL_NAME_HTTP_CLIENT_CERT", "/etc/tqr/authority/client.crt")
    with pytest.raises(ValidationError, match="IDENTITY_REAL_NAME_HTTP_CLIENT_KEY"):
        IdentitySettings()
