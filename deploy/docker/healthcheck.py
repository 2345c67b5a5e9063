"""Container health check: exit 0 when the service in this container is ready for work.

gRPC services: ``grpc.health.v1.Health/Check`` of the default ("") name says SERVING, which it does
not while the service's database or broker is away. The gateway: ``GET /healthz`` is 200.
Used by the image's HEALTHCHECK: Compose starts the gateway once every service is healthy
(``depends_on: service_healthy``), and marks an unhealthy container without restarting it, so this
is a readiness check. Kubernetes uses its own native probes instead, with a separate liveness check
(the ``liveness`` health name, the gateway's ``/livez``).
"""

from __future__ import annotations

import os
import sys
import urllib.request

GRPC_DEFAULT_PORTS = {"identity": 50051, "application": 50052, "notification": 50053, "documents": 50054}


def grpc_serving(service: str) -> bool:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = os.environ.get(f"{service.upper()}_GRPC_PORT", str(GRPC_DEFAULT_PORTS[service]))
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def gateway_alive() -> bool:
    port = os.environ.get("GATEWAY_PORT", "8000")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def main() -> int:
    service = os.environ.get("TQR_SERVICE", "")
    if service == "gateway":
        return 0 if gateway_alive() else 1
    if service in GRPC_DEFAULT_PORTS:
        return 0 if grpc_serving(service) else 1
    print(f"unknown TQR_SERVICE {service!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
