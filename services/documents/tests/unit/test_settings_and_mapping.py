"""Settings of the documents service, and the application service's form data as a printable form."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from servicekit.errors import RuleViolation
from servicekit.rpc.actor import new_key_pair
from tqr_documents.adapters.form_mapping import snapshot_of
from tqr_documents.config import DocumentsSettings
from tqr_documents.domain.form_code import FormCodeSigner

from services.documents.tests.fakes import FakeApplication, form_response


def test_default_form_code_keys_work_in_development() -> None:
    keys, current = DocumentsSettings().keyring()
    assert current == "DEV1"
    signer = FormCodeSigner(keys, current)
    assert signer.verify(signer.sign("2026110105000123", "ABCDEF01")).application_number == "2026110105000123"


SIGNING, VERIFY = new_key_pair("documents.k1")


def _production_addresses(monkeypatch) -> None:
    for name, value in {"DOCUMENTS_DATABASE_URL": "postgresql://db/documents", "TQR_AMQP_URL": "amqp://mq/",
                        "TQR_REDIS_URL": "redis://cache/0", "DOCUMENTS_APPLICATION_ADDRESSES": "dns:///app:50052",
                        "DOCUMENTS_ACTOR_SIGNING_KEYS": SIGNING, "TQR_ACTOR_VERIFY_KEYS": VERIFY,
                        "DOCUMENTS_TLS_CERT": "/etc/tqr/tls/tls.crt", "DOCUMENTS_TLS_KEY": "/etc/tqr/tls/tls.key",
                        "DOCUMENTS_TLS_CA": "/etc/tqr/tls/ca.crt"}.items():
        monkeypatch.setenv(name, value)


def test_development_form_code_keys_are_refused_in_production(monkeypatch) -> None:
    monkeypatch.setenv("TQR_ENVIRONMENT", "production")
    _production_addresses(monkeypatch)
    monkeypatch.setenv("DOCUMENTS_CACHE_KEYS", f"c1:{base64.b64encode(b'c' * 32).decode()}")
    with pytest.raises(ValidationError, match="DOCUMENTS_FORM_CODE_KEYS \\(still the development key\\)"):
        DocumentsSettings()
    real = base64.b64encode(b"r" * 32).decode()
    monkeypatch.setenv("DOCUMENTS_FORM_CODE_KEYS", f"K2:{real},DEV1:{base64.b64encode(b'x' * 32).decode()}")
    keys, current = DocumentsSettings().keyring()
    assert current == "K2" and keys["K2"] == b"r" * 32 and set(keys) == {"K2", "DEV1"}


def test_development_cache_keys_are_refused_in_production(monkeypatch) -> None:
    monkeypatch.setenv("TQR_ENVIRONMENT", "production")
    _production_addresses(monkeypatch)
    monkeypatch.setenv("DOCUMENTS_FORM_CODE_KEYS", f"K2:{base64.b64encode(b'r' * 32).decode()}")
    with pytest.raises(ValidationError, match="DOCUMENTS_CACHE_KEYS \\(still the development key\\)"):
        DocumentsSettings()
    monkeypatch.setenv("DOCUMENTS_CACHE_KEYS", f"c1:{base64.b64encode(b'c' * 32).decode()}")
    assert DocumentsSettings().cache_keys.startswith("c1:")


@pytest.mark.parametrize("keys", ["", "c1", "c1:not base64!", f"c1:{base64.b64encode(b'short').decode()}"])
def test_cache_keys_must_be_32_byte_base64_keys(monkeypatch, keys) -> None:
    monkeypatch.setenv("DOCUMENTS_CACHE_KEYS", keys)
    with pytest.raises(ValidationError, match="cache_keys"):
        DocumentsSettings()


def test_form_code_keys_must_be_base64(monkeypatch) -> None:
    monkeypatch.setenv("DOCUMENTS_FORM_CODE_KEYS", "K1:not base64!")
    with pytest.raises(ValidationError, match="base64"):
        DocumentsSettings()


def test_service_addresses_and_storage_are_read_with_the_prefix(monkeypatch) -> None:
    monkeypatch.setenv("DOCUMENTS_APPLICATION_ADDRESSES", "127.0.0.1:50200")
    monkeypatch.setenv("DOCUMENTS_STORAGE_DIR", "/tmp/docs")
    settings = DocumentsSettings()
    assert (settings.application_addresses, settings.storage_dir) == ("127.0.0.1:50200", "/tmp/docs")


def test_r_app_5_form_data_maps_to_the_same_printed_form(form) -> None:
    response = form_response(FakeApplication("A1", "U1", "110105", "P1", form))
    snapshot = snapshot_of(response)
    assert snapshot.form == form and snapshot.applicant_id == "U1"
    assert snapshot.form.gender == "女"


def test_r_app_5_form_data_without_a_confirmation_window_is_refused_with_the_rule(form) -> None:
    response = form_response(FakeApplication("A1", "U1", "110105", "P1", form))
    response.ClearField("confirm_start")
    with pytest.raises(RuleViolation) as refused:
        snapshot_of(response)
    assert refused.value.code == "R-APP-5" and "现场确认时间" in refused.value.message_zh
    response = form_response(FakeApplication("A1", "U1", "110105", "P1", form))
    response.birth_date = ""
    with pytest.raises(RuleViolation, match="date of birth"):
        snapshot_of(response)
    assert snapshot_of(form_response(FakeApplication("A1", "U1", "1", "P1", form))).form.submitted_at == datetime(
        2026, 3, 12, 6, 45, tzinfo=UTC)
