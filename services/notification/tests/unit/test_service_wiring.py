"""The service reacts to every catalogued event, and its settings refuse development parts in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from servicekit.sealing import DEV_KEYS
from testkit.production import trust_fields
from tqr_notification.config import NotificationSettings
from tqr_notification.domain.catalogue import CATALOGUE
from tqr_notification.service_layer.event_handlers import build_subscriptions


def test_every_catalogued_event_has_a_subscription_and_only_contact_changes_besides():
    registry = build_subscriptions(None)  # type: ignore[arg-type]  # the handlers only close over it
    assert set(registry) == set(CATALOGUE) | {"tqr.identity.v1.ContactDetailsChanged"}
    for event_type, spec in CATALOGUE.items():
        assert registry[event_type].message_class is spec.event


def test_development_smtp_sink_is_on_in_development_and_off_elsewhere():
    assert NotificationSettings(environment="development").runs_dev_smtp_sink is True
    assert NotificationSettings(environment="test").runs_dev_smtp_sink is False
    assert NotificationSettings(environment="test", dev_smtp_sink=True).runs_dev_smtp_sink is True


PRODUCTION_READY = dict(
    environment="production", sealing_keys="k1:" + DEV_KEYS.split(":", 1)[1], field_keys="k2:" + DEV_KEYS.split(":", 1)[1],
    recipient_hmac_key="a-real-key-of-enough-length", sms_provider="http", sms_http_api_key="real",
    alternative_provider="http", alternative_http_api_key="real",
    sms_http_url="https://sms.example.org/send", alternative_http_url="https://alt.example.org/send",
    database_url="postgresql://db/notification", amqp_url="amqp://mq/", redis_url="redis://cache/0",
    smtp_host="smtp.example.org", smtp_port=587, smtp_starttls=True, mail_from_address="noreply@example.org",
    site_url="https://tqr.example.org/", **trust_fields("notification"),
)


def test_production_settings_with_real_parts_are_accepted():
    assert NotificationSettings(**PRODUCTION_READY).runs_dev_smtp_sink is False


@pytest.mark.parametrize("override", [
    {"sealing_keys": DEV_KEYS},
    {"sms_provider": "dev"},
    {"alternative_provider": "dev"},
    {"dev_smtp_sink": True},
    {"recipient_hmac_key": "dev-only-recipient-hmac-key-change-me"},
    {"site_url": "http://localhost:8000/"},
    {"site_url": "https://127.0.0.1/"},
    {"site_url": "http://tqr.example.org/"},
    {"sms_http_url": ""},
    {"smtp_starttls": False, "smtp_password": "secret"},
    {"smtp_implicit_tls": True},
])
def test_production_refuses_development_keys_providers_and_sink(override):
    with pytest.raises(ValidationError):
        NotificationSettings(**{**PRODUCTION_READY, **override})
