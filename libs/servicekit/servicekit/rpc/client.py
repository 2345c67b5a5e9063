"""Channels to other services: round-robin over every replica, a deadline on every call, and
retries only for UNAVAILABLE on the methods the caller names idempotent (channel service config).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import grpc

from servicekit import correlation, metrics


def target_for(addresses: str) -> str:
    """``host:port[,host:port…]`` → a gRPC target that lists every replica.

    A name such as ``dns:///identity:50051`` passes through (DNS returns every pod of a headless
    Service); literal IPv4 addresses become one ``ipv4:`` target so round_robin sees them all.
    """
    addresses = addresses.strip()
    if ":///" in addresses or addresses.startswith(("ipv4:", "ipv6:", "unix:")):
        return addresses
    parts = [a.strip() for a in addresses.split(",") if a.strip()]
    if len(parts) == 1:
        return f"dns:///{parts[0]}"
    hosts = [p.rsplit(":", 1)[0] for p in parts]
    if all(h.replace(".", "").isdigit() for h in hosts):
        return "ipv4:" + ",".join(parts)
    if all(h == "localhost" for h in hosts):
        return "ipv4:" + ",".join(p.replace("localhost", "127.0.0.1") for p in parts)
    raise ValueError("several addresses must be IPv4 literals; use a DNS name for a replicated service")


def service_config(service: str, idempotent_methods: Iterable[str]) -> str:
    """Round-robin over every address, and retries for the idempotent methods only.

    A method is named plainly (``GetDraft``, of ``service``) or in full
    (``tqr.application.v1.WizardService/GetDraft``), so one channel to a process that serves
    several gRPC services can list retryable methods of each.
    The deadline is set per call by the interceptor, not here: grpcio 1.85 reads a fractional
    ``timeout`` in the service config as already expired.
    """
    names = []
    for method in sorted(set(idempotent_methods)):
        owner, _, name = method.rpartition("/")
        names.append({"service": owner or service, "method": name})
    config: dict[str, Any] = {"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": []}
    if names:
        config["methodConfig"].append({
            "name": names,
            "retryPolicy": {
                "maxAttempts": 4,
                "initialBackoff": "0.05s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        })
    return json.dumps(config)


class _Outgoing(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Adds the correlation id and a deadline when the caller gave none; counts and times calls."""

    def __init__(self, default_timeout: float) -> None:
        self.default_timeout = default_timeout

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if correlation.METADATA_KEY not in metadata:
            metadata.add(correlation.METADATA_KEY, correlation.ensure())
        return grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self.default_timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        method = _short(details.method)
        started = time.perf_counter()
        code = "OK"
        try:
            call = await continuation(self._details(details), request)
            await call  # surface the status here, so it is counted
            return call
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
            raise
        finally:
            metrics.GRPC_CLIENT_REQUESTS.labels(method, code).inc()
            metrics.GRPC_CLIENT_DURATION.labels(method).observe(time.perf_counter() - started)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        metrics.GRPC_CLIENT_REQUESTS.labels(_short(details.method), "STREAM").inc()
        return await continuation(self._details(details), request)


def _short(method: str | bytes) -> str:
    text = method.decode() if isinstance(method, bytes) else method
    return text.rsplit("/", 1)[-1]


def open_channel(
    addresses: str,
    service: str,
    *,
    idempotent_methods: Iterable[str] = (),
    timeout_seconds: float = 5.0,
) -> grpc.aio.Channel:
    """``service`` is the full gRPC service name, e.g. ``tqr.identity.v1.IdentityService``."""
    return grpc.aio.insecure_channel(
        target_for(addresses),
        options=[
            ("grpc.service_config", service_config(service, idempotent_methods)),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            ("grpc.keepalive_time_ms", 30_000),
        ],
        interceptors=[_Outgoing(timeout_seconds)],  # type: ignore[list-item]
    )
