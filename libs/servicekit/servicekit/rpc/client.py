"""Channels to other services: round-robin over every replica, a deadline on every call, and
retries only for UNAVAILABLE on the methods the caller names idempotent (channel service config).

Replicas come and go: the channel asks DNS again whenever a connection ends (servers end each one
after a maximum age), and it watches each replica's liveness, sending nothing new to a replica that
is stopping (servicekit.rpc.health). A call the channel never got onto the wire, or that a server
refused unread, is retried by grpc for every method (transparent retry); the retry policy below is
only for calls a server did read and answered UNAVAILABLE.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Iterable
from typing import Any

import grpc

from servicekit import correlation, metrics
from servicekit.rpc.health import LIVENESS
from servicekit.rpc.tls import TlsFiles, server_name_of

# A replica added behind a DNS name is found when the channel asks DNS again, which it does when a
# connection closes (servers close each after a maximum age, servicekit.rpc.server); grpc's default
# lets it ask at most every 30 s, which would leave the new replica idle that long.
MIN_SECONDS_BETWEEN_RESOLUTIONS = 1
# A replica restarted at the same address is tried again at least this often (grpc's default backs
# off to two minutes).
MAX_RECONNECT_BACKOFF_SECONDS = 5
# Keepalive: a ping on a quiet connection every 30 s, and a peer that does not answer within 10 s
# is taken for gone (its calls fail over instead of waiting for their deadline).
KEEPALIVE_SECONDS = 30
KEEPALIVE_TIMEOUT_SECONDS = 10


def target_for(addresses: str) -> str:
    """``host:port[,host:port…]`` → a gRPC target that lists every replica.

    A name such as ``dns:///identity:50051`` passes through (DNS returns every pod of a headless
    Service), also with a DNS server of its own (``dns://10.0.0.10:53/identity:50051``); literal
    IPv4 addresses become one ``ipv4:`` target so round_robin sees them all.
    """
    addresses = addresses.strip()
    if ":///" in addresses or addresses.startswith(("dns:", "ipv4:", "ipv6:", "unix:")):
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
    The deadline is set per call by ``_Channel``, not here: grpcio 1.85 reads a fractional
    ``timeout`` in the service config as already expired.
    """
    names = []
    for method in sorted(set(idempotent_methods)):
        owner, _, name = method.rpartition("/")
        names.append({"service": owner or service, "method": name})
    config: dict[str, Any] = {
        "loadBalancingConfig": [{"round_robin": {}}],
        # Each replica is sent calls only while its liveness is SERVING: one that begins to stop
        # gets no new call (servicekit.rpc.health).
        "healthCheckConfig": {"serviceName": LIVENESS},
        "methodConfig": [],
    }
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


class _CountedMethod:
    """One method of a stub: the correlation id and a deadline added when the caller gave none."""

    def __init__(self, call: Any, method: str, default_timeout: float) -> None:
        self._call = call
        self._method = method
        self._default_timeout = default_timeout

    def _start(self, request: Any, timeout: float | None, metadata: Any, options: dict[str, Any]) -> Any:
        return self._call(request, timeout=self._default_timeout if timeout is None else timeout,
                          metadata=_with_correlation(metadata), **options)


class _CountedUnaryUnary(_CountedMethod):
    """A unary method, its call counted and timed. Awaiting what it returns gives the response, as
    with the plain stub."""

    def __call__(self, request: Any, *, timeout: float | None = None, metadata: Any = None,
                 **options: Any) -> Awaitable[Any]:
        return self._counted(self._start(request, timeout, metadata, options))

    async def _counted(self, call: Awaitable[Any]) -> Any:
        started = time.perf_counter()
        code = "OK"
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
            raise
        finally:
            metrics.GRPC_CLIENT_REQUESTS.labels(self._method, code).inc()
            metrics.GRPC_CLIENT_DURATION.labels(self._method).observe(time.perf_counter() - started)


class _CountedUnaryStream(_CountedMethod):
    """A server-streaming method: the stream itself is the caller's to read, so only its start is
    counted."""

    def __call__(self, request: Any, *, timeout: float | None = None, metadata: Any = None, **options: Any) -> Any:
        metrics.GRPC_CLIENT_REQUESTS.labels(self._method, "STREAM").inc()
        return self._start(request, timeout, metadata, options)


def _with_correlation(metadata: Any) -> tuple[tuple[str, str | bytes], ...]:
    pairs = tuple(metadata or ())
    if any(key == correlation.METADATA_KEY for key, _ in pairs):
        return pairs
    return (*pairs, (correlation.METADATA_KEY, correlation.ensure()))


class _Channel(grpc.aio.Channel):
    """A grpc.aio channel whose stubs add the correlation id and a deadline and count every call.

    This was a grpc.aio client interceptor, which costs a task and several futures per call
    (≈ 70 µs, a twentieth of the gateway's CPU on a wizard step); wrapping the method objects the
    stubs are built from does the same work directly."""

    def __init__(self, channel: grpc.aio.Channel, default_timeout: float) -> None:
        self._channel = channel
        self._default_timeout = default_timeout

    def _method_of(self, kind: str, *args: Any) -> Any:
        # By name: the type stubs of grpc.aio do not know the generated code's _registered_method.
        return getattr(self._channel, kind)(*args)

    def unary_unary(self, method: str, request_serializer: Any = None, response_deserializer: Any = None,
                    _registered_method: bool | None = False) -> Any:
        call = self._method_of("unary_unary", method, request_serializer, response_deserializer, _registered_method)
        return _CountedUnaryUnary(call, _short(method), self._default_timeout)

    def unary_stream(self, method: str, request_serializer: Any = None, response_deserializer: Any = None,
                     _registered_method: bool | None = False) -> Any:
        call = self._method_of("unary_stream", method, request_serializer, response_deserializer, _registered_method)
        return _CountedUnaryStream(call, _short(method), self._default_timeout)

    def stream_unary(self, method: str, request_serializer: Any = None, response_deserializer: Any = None,
                     _registered_method: bool | None = False) -> Any:
        return self._method_of("stream_unary", method, request_serializer, response_deserializer, _registered_method)

    def stream_stream(self, method: str, request_serializer: Any = None, response_deserializer: Any = None,
                      _registered_method: bool | None = False) -> Any:
        return self._method_of("stream_stream", method, request_serializer, response_deserializer, _registered_method)

    async def __aenter__(self) -> _Channel:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._channel.close(None)

    async def close(self, grace: float | None = None) -> None:
        await self._channel.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._channel.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._channel.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._channel.channel_ready()


def _short(method: str | bytes) -> str:
    text = method.decode() if isinstance(method, bytes) else method
    return text.rsplit("/", 1)[-1]


def open_channel(
    addresses: str,
    service: str,
    *,
    idempotent_methods: Iterable[str] = (),
    timeout_seconds: float = 5.0,
    tls: TlsFiles | None = None,
) -> grpc.aio.Channel:
    """``service`` is the full gRPC service name, e.g. ``tqr.identity.v1.IdentityService``.

    With ``tls`` the channel presents this process's certificate and accepts only a server whose
    certificate names ``service``'s owner (``application`` for ``tqr.application.v1.…``), whichever
    address the name resolved to (rpc.tls)."""
    options: list[tuple[str, Any]] = [
        ("grpc.service_config", service_config(service, idempotent_methods)),
        ("grpc.enable_retries", 1),
        ("grpc.max_receive_message_length", 16 * 1024 * 1024),
        ("grpc.dns_min_time_between_resolutions_ms", MIN_SECONDS_BETWEEN_RESOLUTIONS * 1000),
        ("grpc.max_reconnect_backoff_ms", MAX_RECONNECT_BACKOFF_SECONDS * 1000),
        ("grpc.keepalive_time_ms", KEEPALIVE_SECONDS * 1000),
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_SECONDS * 1000),
        # The health watch keeps a call open on every connection without sending data; pings
        # must not stop after two (grpc's default) for the keepalive to go on.
        ("grpc.http2.max_pings_without_data", 0),
    ]
    if tls is not None and tls.configured:
        options.append(("grpc.ssl_target_name_override", server_name_of(service)))
        channel = grpc.aio.secure_channel(target_for(addresses), tls.channel_credentials(), options=options)
    else:
        channel = grpc.aio.insecure_channel(target_for(addresses), options=options)
    return _Channel(channel, timeout_seconds)
