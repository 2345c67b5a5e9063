"""The bus table (servicekit.bus.access) matches what the services do, and each service's settings
read its own broker login first."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from servicekit.bus.access import ROLES, grants, producer_of, role
from servicekit.bus.topology import Topology

ROOT = Path(__file__).resolve().parents[2]


def _event_types_of(service: str) -> set[str]:
    module = importlib.import_module(f"tqr.{service}.v1.events_pb2")
    return {message.full_name for message in module.DESCRIPTOR.message_types_by_name.values()}


def test_every_event_type_has_the_one_producer_whose_events_proto_declares_it():
    declaring = [path.parent.parent.name for path in sorted((ROOT / "protos" / "tqr").glob("*/v1/events.proto"))]
    assert declaring, "no events.proto found"
    for service in declaring:
        for event_type in _event_types_of(service):
            assert producer_of(event_type) == service, event_type


def test_nobody_produces_what_no_events_proto_declares():
    assert producer_of("tqr.notification.v1.InboxMessage") is None
    assert producer_of("tqr.identity.v1") is None
    assert producer_of("tqr.identity.v1.Account.Nested") is None


def test_each_consumer_may_bind_exactly_the_events_it_subscribes_to():
    """A subscription the table forgets would be refused by the broker at start; one the service
    dropped would still be readable by it."""
    from tqr_documents.entrypoints.consumer import build_subscriptions as documents_subscriptions
    from tqr_notification.service_layer.event_handlers import build_subscriptions as notification_subscriptions

    # The registries only close over their context; building them needs none.
    assert set(notification_subscriptions(None)) == set(role("notification").consumes)  # type: ignore[arg-type]
    assert set(documents_subscriptions(None)) == set(role("documents").consumes)  # type: ignore[arg-type]
    assert {r.name for r in ROLES if r.consumes} == {"notification", "documents"}


def test_what_consumers_bind_is_something_a_service_publishes():
    for consumer in [r for r in ROLES if r.consumes]:
        for event_type in consumer.consumes:
            assert producer_of(event_type) is not None, (consumer.name, event_type)


def test_a_publisher_may_not_publish_another_services_events():
    import re

    topology = Topology()
    identity = grants(role("identity"), topology)
    assert re.fullmatch(identity.topic_write, "tqr.identity.v1.PasswordChanged")
    assert not re.fullmatch(identity.topic_write, "tqr.application.v1.ApplicationStatusChanged")
    assert not re.fullmatch(identity.topic_write, "tqr.identity.v1.X.Y")
    assert grants(role("notification"), topology).topic_write == "^$"
    assert grants(role("documents"), topology).topic_write == "^$"


def test_a_queue_prefix_and_an_exchange_name_are_matched_literally():
    import re

    topology = Topology(exchange="tqr.events", queue_prefix="staging.")
    documents = grants(role("documents"), topology)
    assert re.fullmatch(documents.read, "staging.documents.events")
    assert not re.fullmatch(documents.read, "stagingXdocuments.events")
    assert not re.fullmatch(documents.read, "staging.notification.events")


@pytest.mark.parametrize(("service", "class_name"), [
    ("identity", "IdentitySettings"), ("application", "ApplicationSettings"),
    ("notification", "NotificationSettings"), ("documents", "DocumentsSettings"),
])
def test_each_service_reads_its_own_amqp_url_before_the_shared_one(monkeypatch, service, class_name):
    settings_class = getattr(importlib.import_module(f"tqr_{service}.config"), class_name)
    monkeypatch.setenv("TQR_AMQP_URL", "amqp://shared@mq/")
    assert settings_class().amqp_url == "amqp://shared@mq/"
    monkeypatch.setenv(f"{service.upper()}_AMQP_URL", f"amqp://{service}@mq/")
    assert settings_class().amqp_url == f"amqp://{service}@mq/"
