"""`make run` brings every service up and each reports SERVING, metrics included."""

from __future__ import annotations

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tools.devrun import BACKENDS, GATEWAY_METRICS_PORT, grpc_port, metrics_port


async def test_every_service_reports_serving_under_make_run(running_system):
    for service in BACKENDS:
        port = grpc_port(service, offset=running_system.port_offset)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
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
