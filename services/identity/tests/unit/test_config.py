"""Settings: development defaults work, and refuse to run in production."""

from __future__ import annotations

import pytest
from servicekit.sealing import DEV_KEYS
from tqr_identity.adapters.account_crypto import AccountCrypto
from tqr_identity.config import IdentitySettings


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
