"""The load-test and fault-test system reaches the broker as production does: each service with a
user of its own, which may publish only its own events (servicekit.broker_users, as make run).

With one shared login the benchmarks measured a broker that checked nothing, and a fault test could
not tell a service publishing another's event from a correct one.
"""

from __future__ import annotations

import urllib.parse

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused
from servicekit import broker_users
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology

from tools import devrun
from tools.loadtest.system import System

pytestmark = [pytest.mark.beside, pytest.mark.broker]

STATUS_CHANGED = "tqr.application.v1.ApplicationStatusChanged"


def _urls(system: System) -> dict[str, str]:
    return {service: system.replicas_of(service)[0].env[f"{service.upper()}_AMQP_URL"] for service in devrun.BACKENDS}


def test_each_service_has_a_broker_user_of_its_own(chaos_system: System) -> None:
    users = {service: urllib.parse.urlsplit(url).username for service, url in _urls(chaos_system).items()}
    assert len(set(users.values())) == len(devrun.BACKENDS) and "guest" not in users.values(), users
    listed = broker_users.users(devrun.rabbitmqctl(chaos_system.rabbit_node))
    assert all(user in listed for user in users.values()), listed


async def test_a_service_of_the_system_cannot_publish_another_services_event(chaos_system: System) -> None:
    connection = await aio_pika.connect_robust(_urls(chaos_system)["notification"])
    try:
        topology = Topology(chaos_system.env.get("TQR_EXCHANGE", "tqr.events"), chaos_system.env["TQR_QUEUE_PREFIX"])
        publisher = Publisher(connection, topology, "application")  # claims to be the application
        await publisher.start()
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await publisher.publish(b"{}", event_type=STATUS_CHANGED, event_id="e-1", correlation_id="c", timeout=10)
    finally:
        await connection.close()
