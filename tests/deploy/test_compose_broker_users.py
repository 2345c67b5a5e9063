"""The Compose stack's broker makes each service's own user when it starts, as production does.

deploy/compose/rabbitmq/definitions.json (``python -m servicekit.broker_users --boot-definitions``)
holds the users and rights of the bus table (servicekit/bus/access.py) for the URLs compose.yaml
gives the services, and the administrator; rabbitmq.conf imports it at every start. Before, every
container connected as the administrator, so any service could publish any other's events.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused
from servicekit import broker_users
from servicekit.bus.access import grants, role
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology

from tools.loadtest.broker import PrivateRabbit

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RABBIT = DEPLOY / "compose" / "rabbitmq"
BACKENDS = ("identity", "application", "notification", "documents")
PLACE_IN_CONTAINER = "/etc/rabbitmq/definitions.json"


def _urls(compose: dict[str, Any]) -> dict[str, str]:
    return {s: compose["services"][s]["environment"][f"{s.upper()}_AMQP_URL"] for s in BACKENDS}


def _administrator(compose: dict[str, Any]) -> tuple[str, str]:
    rabbit = compose["services"]["rabbitmq"]["environment"]
    return rabbit["RABBITMQ_DEFAULT_USER"], rabbit["RABBITMQ_DEFAULT_PASS"]


def _definitions() -> dict[str, Any]:
    return json.loads((RABBIT / "definitions.json").read_text(encoding="utf-8"))


def test_each_service_connects_as_a_user_of_its_own_and_none_as_the_administrator(compose):
    users = [urllib.parse.urlsplit(url).username for url in _urls(compose).values()]
    assert len(set(users)) == len(BACKENDS) and _administrator(compose)[0] not in users, users
    for name, service in compose["services"].items():
        assert "TQR_AMQP_URL" not in (service.get("environment") or {}), name


def test_the_definitions_hold_the_bus_tables_rights_and_the_passwords_compose_gives(compose):
    document = _definitions()
    users = {u["name"]: u for u in document["users"]}
    permissions = {p["user"]: p for p in document["permissions"]}
    topic_permissions = {p["user"]: p for p in document["topic_permissions"]}
    topology = Topology(compose["x-tqr-service"]["environment"]["TQR_EXCHANGE"], "")
    for service, url in _urls(compose).items():
        login = broker_users.Login.from_url(role(service), url)
        granted = grants(login.role, topology)
        assert broker_users.password_matches(users[login.user]["password_hash"], login.password), service
        assert users[login.user]["tags"] == []
        assert permissions[login.user] == {"user": login.user, "vhost": "/", "configure": granted.configure,
                                           "write": granted.write, "read": granted.read}
        assert topic_permissions[login.user] == {"user": login.user, "vhost": "/", "exchange": topology.exchange,
                                                 "write": granted.topic_write, "read": granted.topic_read}
    name, password = _administrator(compose)
    assert users[name]["tags"] == ["administrator"]
    assert broker_users.password_matches(users[name]["password_hash"], password)
    assert set(users) == {name, *(urllib.parse.urlsplit(u).username for u in _urls(compose).values())}
    mounted = compose["services"]["rabbitmq"]["volumes"]
    assert f"./compose/rabbitmq/definitions.json:{PLACE_IN_CONTAINER}:ro" in mounted


@pytest.mark.broker
@pytest.mark.slow
async def test_a_broker_started_with_the_compose_configuration_lets_each_service_publish_only_its_own(compose):
    rabbit = PrivateRabbit.create()
    # The conf's lines about definitions (the rest, default_queue_type, is RabbitMQ 3.13's, the
    # image's; this machine runs 3.10).
    config = "".join(line for line in (RABBIT / "rabbitmq.conf").read_text(encoding="utf-8").splitlines(True)
                     if line.startswith("definitions."))
    assert PLACE_IN_CONTAINER in config
    try:
        rabbit.start_node(extra_config=config.replace(PLACE_IN_CONTAINER, str(rabbit.folder / "definitions.json")),
                          files={"definitions.json": (RABBIT / "definitions.json").read_text(encoding="utf-8")})
        here = {s: url.replace("@rabbitmq:5672/", f"@127.0.0.1:{rabbit.port}/") for s, url in _urls(compose).items()}
        topology = Topology(compose["x-tqr-service"]["environment"]["TQR_EXCHANGE"], "")
        name, password = _administrator(compose)
        administrator = await aio_pika.connect(f"amqp://{name}:{password}@127.0.0.1:{rabbit.port}/")
        identity = await aio_pika.connect(here["identity"])
        notification = await aio_pika.connect(here["notification"])
        try:
            # A queue for the event (the administrator may), so that a publish that is let through arrives.
            channel = await administrator.channel()
            exchange = await channel.declare_exchange(topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
            observed = await channel.declare_queue("", exclusive=True)
            await observed.bind(exchange, "tqr.identity.v1.AccountRegistered")
            own = Publisher(identity, topology, "identity")
            await own.start()
            await own.publish(b"{}", event_type="tqr.identity.v1.AccountRegistered", event_id="e-1",
                              correlation_id="c", timeout=10)
            posing = Publisher(notification, topology, "application")
            await posing.start()
            with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
                await posing.publish(b"{}", event_type="tqr.application.v1.ApplicationStatusChanged",
                                     event_id="e-2", correlation_id="c", timeout=10)
            assert await observed.get(fail=False, no_ack=True) is not None
        finally:
            await identity.close()
            await notification.close()
            await administrator.close()
    finally:
        rabbit.stop_node()
