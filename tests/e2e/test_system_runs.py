"""`make run` brings every service up and each reports SERVING, metrics included."""

from __future__ import annotations

import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.e2e import grpc_channel
from tools.devrun import BACKENDS, GATEWAY_METRICS_PORT, grpc_port, metrics_port


async def test_every_service_reports_serving_under_make_run(running_system):
    for service in BACKENDS:
        port = grpc_port(service, offset=running_system.port_offset)
        async with grpc_channel.to(port, service) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service
    async with httpx.AsyncClient() as client:
        ready = (await client.get(f"{running_system.url}/readyz")).json()
    assert ready["ready"] and set(ready["services"]) == set(BACKENDS)


async def test_every_service_exposes_prometheus_metrics(running_system):
    async with httpx.AsyncClient() as client:
        for service in BACKENDS:
            port = metrics_port(service, offset=running_system.port_offset)
            body = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert f'tqr_serving{{service="{service}"}} 1.0' in body, service
        port = GATEWAY_METRICS_PORT + running_system.port_offset
        gateway = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert "tqr_http_requests_total" in gateway


async def test_the_printed_address_serves_the_home_page(running_system):
    async with httpx.AsyncClient() as client:
        page = await client.get(running_system.url + "/")
    assert page.status_code == 200
    assert '<meta charset="utf-8">' in page.text
    assert "教师资格定期注册" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_each_service_connects_to_the_broker_as_a_user_of_its_own(running_system, amqp_url):
    """make run gives every service its own RabbitMQ user (servicekit.broker_users), never the
    shared TQR_AMQP_URL's: the broker then refuses any event a service does not publish."""
    import json
    import shutil
    import subprocess
    import urllib.parse

    url = urllib.parse.urlsplit(amqp_url)
    listed = subprocess.run([shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl", "-q", "list_connections",
                             "vhost", "user", "client_properties", "--formatter", "json"],
                            capture_output=True, text=True, check=True).stdout
    users: dict[str, set[str]] = {}
    for connection in json.loads(listed):
        name = next((value for key, _, value in connection["client_properties"] if key == "connection_name"), "")
        if connection["vhost"] == urllib.parse.unquote(url.path[1:]) and name.startswith("tqr-"):
            users.setdefault(name.removeprefix("tqr-"), set()).add(connection["user"])
    assert set(users) == set(BACKENDS)
    each = [next(iter(names)) for names in users.values() if len(names) == 1]
    assert len(each) == len(BACKENDS) and len(set(each)) == len(BACKENDS), users
    assert url.username not in set(each)
