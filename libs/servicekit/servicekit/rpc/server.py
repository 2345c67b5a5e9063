"""A grpc.aio server with health, reflection (off in production) and one interceptor that every RPC passes through.

Health answers two questions under different names. Readiness ("" and each service's name): may
callers send this process work now? NOT_SERVING while its database or broker is away, SERVING again
when they are back. Liveness (``LIVENESS``): is the process itself still working? SERVING from start
to shutdown; it is answered on the event loop, so a loop that no longer turns does not answer at
all and the probe times out. A restart cures a wedged process, never an absent database, so the two
must not share a name: a liveness probe on readiness restarts every pod at once in an outage.

The interceptor binds the caller's correlation id, times and counts the call, turns a refusal into
its status code with a ``Problem`` in the trailing metadata, turns a request that cannot be decoded
into INVALID_ARGUMENT, verifies the caller's signed actor (``rpc.actor``: a forged, expired or
unknown-key one is refused UNAUTHENTICATED before the handler runs; ``actor_of`` then returns it),
refuses a request whose text carries control or bidi-override characters
(``rpc.text_guard``: INVALID_ARGUMENT naming the fields, before the handler runs), refuses a
calling service the method's table does not name (``rpc.tls``: PERMISSION_DENIED), and hides
unexpected faults behind INTERNAL (logged with their trace).
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from redis import exceptions as redis_exc
from sqlalchemy import exc as sa_exc

from servicekit import correlation, db, errors, metrics
from servicekit.rpc.actor import DEV_VERIFY_KEYS, ActorRefused, ActorVerifier, bind_verified, unbind_verified
from servicekit.rpc.errors import PROBLEM_METADATA_KEY, status_of, to_problem
from servicekit.rpc.health import LIVENESS, HealthService
from servicekit.rpc.text_guard import refuse_unsafe_text
from servicekit.rpc.tls import Callers

__all__ = ["LIVENESS", "create_server", "set_alive", "set_serving"]

log = logging.getLogger(__name__)

# A request larger than the service's own limit is answered INVALID_ARGUMENT by the interceptor;
# the transport refuses (RESOURCE_EXHAUSTED) only what is larger still.
DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024
TRANSPORT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Callers keep a connection until it breaks, and only a broken connection makes them ask DNS again:
# a replica added behind the name would get nothing from callers already connected. Each connection
# is therefore closed (GOAWAY) after about this long (grpc adds ±10 %) and the caller reconnects to
# every address DNS gives then; calls in flight on it may finish within the grace.
DEFAULT_MAX_CONNECTION_AGE_SECONDS = 5.0
DEFAULT_MAX_CONNECTION_AGE_GRACE_SECONDS = 30.0
# Callers ping an idle connection (keepalive, to notice a peer that vanished); the server accepts
# pings this often even on a connection without calls instead of closing it as abusive.
KEEPALIVE_MIN_PING_INTERVAL_MS = 10_000


# What connect() says when no route leads to the host for the moment (a network blip, not a bug).
UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN})


def is_dependency_outage(exc: BaseException) -> bool:
    """A lost connection to the database or Redis, one that stopped answering in time, or a host
    that could not be found or reached (DNS or the network away for a moment; asyncpg's connect
    raises those unwrapped): not a bug in the handler."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, redis_exc.ConnectionError,
                        redis_exc.TimeoutError, ConnectionError, TimeoutError, socket.gaierror)):
        return True
    if isinstance(exc, OSError) and exc.errno in UNREACHABLE:
        return True
    if isinstance(exc, sa_exc.DBAPIError) and (
            exc.connection_invalidated or db.is_unreachable_state(getattr(exc.orig, "sqlstate", None))):
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and isinstance(cause, (ConnectionError, OSError)) and \
        isinstance(exc, sa_exc.DBAPIError)


class _Undecodable:
    """Stands in for a request whose bytes were not a valid message (or were too many)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _safe_deserializer(
    deserialize: Callable[[bytes], Any] | None, max_bytes: int
) -> Callable[[bytes], Any] | None:
    if deserialize is None:
        return None

    def run(data: bytes) -> Any:
        if len(data) > max_bytes:
            return _Undecodable(f"the request is larger than {max_bytes // (1024 * 1024)} MiB")
        try:
            return deserialize(data)
        except (DecodeError, ValueError, TypeError):
            return _Undecodable("the request could not be decoded")

    return run


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, service: str, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
                 verifier: ActorVerifier | None = None, callers: Callers | None = None) -> None:
        self.service = service
        self.callers = callers
        self.max_request_bytes = max_request_bytes
        self.verifier = verifier or ActorVerifier.from_setting(DEV_VERIFY_KEYS)
        # The wrapped handler of each method, built on its first call: building it on every call
        # cost a fifth of the interceptor's time, and a method's handler never changes.
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = details.method  # type: ignore[attr-defined]
        wrapped = self._wrapped.get(method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(details)
        if handler is None or method.startswith(("/grpc.health.", "/grpc.reflection.")):
            return handler
        short = method.rsplit("/", 1)[-1]
        if handler.unary_unary:
            wrapped = grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, short, method),
                request_deserializer=_safe_deserializer(handler.request_deserializer, self.max_request_bytes),
                response_serializer=handler.response_serializer,
            )
        elif handler.unary_stream:
            wrapped = grpc.unary_stream_rpc_method_handler(
                self._stream(handler.unary_stream, short, method),
                request_deserializer=_safe_deserializer(handler.request_deserializer, self.max_request_bytes),
                response_serializer=handler.response_serializer,
            )
        else:
            return handler
        self._wrapped[method] = wrapped
        return wrapped

    def _unary(self, behaviour: Any, method: str, full_method: str) -> Any:
        async def run(request: Any, context: grpc.aio.ServicerContext) -> Any:
            with correlation.bound(_correlation_id(context)):
                started = time.perf_counter()
                code = grpc.StatusCode.OK
                binding = None
                try:
                    self._check_caller(full_method, context)
                    binding = bind_verified(self._verified(context, method))
                    await _refuse_undecodable(request, context)
                    refuse_unsafe_text(request)
                    return await behaviour(request, context)
                except BaseException as exc:
                    code = await self._fail(exc, context, method)
                    raise
                finally:
                    if binding is not None:
                        unbind_verified(binding)
                    self._observe(method, code, started)

        return run

    def _stream(self, behaviour: Any, method: str, full_method: str) -> Any:
        async def run(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            with correlation.bound(_correlation_id(context)):
                started = time.perf_counter()
                code = grpc.StatusCode.OK
                binding = None
                try:
                    self._check_caller(full_method, context)
                    binding = bind_verified(self._verified(context, method))
                    await _refuse_undecodable(request, context)
                    refuse_unsafe_text(request)
                    async for item in behaviour(request, context):
                        yield item
                except BaseException as exc:
                    code = await self._fail(exc, context, method)
                    raise
                finally:
                    if binding is not None:
                        unbind_verified(binding)
                    self._observe(method, code, started)

        return run

    def _check_caller(self, full_method: str, context: grpc.aio.ServicerContext) -> None:
        if self.callers is not None:
            self.callers.check(full_method, context)

    def _verified(self, context: grpc.aio.ServicerContext, method: str) -> Any:
        try:
            return self.verifier.verify(context.invocation_metadata())
        except ActorRefused as refused:
            log.warning("refused the caller's actor in %s: %s", method, refused.reason)
            raise

    async def _fail(self, exc: BaseException, context: grpc.aio.ServicerContext, method: str) -> grpc.StatusCode:
        """Answer with the right status; aborting raises, which the caller re-raises."""
        if isinstance(exc, errors.ServiceError):
            code = status_of(exc)
            context.set_trailing_metadata(((PROBLEM_METADATA_KEY, to_problem(exc).SerializeToString()),))
            await context.abort(code, f"{exc.code}: {exc.message_en}")
        if isinstance(exc, grpc.aio.AbortError):
            return context.code() or grpc.StatusCode.UNKNOWN  # type: ignore[attr-defined,no-any-return]
        if isinstance(exc, (GeneratorExit, KeyboardInterrupt, SystemExit)):
            return grpc.StatusCode.CANCELLED
        if type(exc).__name__ == "CancelledError":
            return grpc.StatusCode.CANCELLED
        if is_dependency_outage(exc):
            # The database or Redis went away mid-call: the caller may retry, nothing was committed.
            log.warning("a dependency is unavailable in %s: %s", method, type(exc).__name__)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "a dependency is briefly unavailable; try again")
        log.exception("unexpected fault in %s", method)
        await context.abort(grpc.StatusCode.INTERNAL, "internal error; it has been logged")
        return grpc.StatusCode.INTERNAL  # not reached: abort raises

    def _observe(self, method: str, code: grpc.StatusCode, started: float) -> None:
        metrics.GRPC_SERVER_REQUESTS.labels(self.service, method, code.name).inc()
        metrics.GRPC_SERVER_DURATION.labels(self.service, method).observe(time.perf_counter() - started)


def _correlation_id(context: grpc.aio.ServicerContext) -> str:
    """The caller's correlation id (a fresh one when it sent none or a malformed one)."""
    for key, value in context.invocation_metadata() or ():
        if key == correlation.METADATA_KEY:
            return correlation.clean(str(value))
    return correlation.new_id()


async def _refuse_undecodable(request: Any, context: grpc.aio.ServicerContext) -> None:
    if isinstance(request, _Undecodable):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, request.reason)


def create_server(
    service: str,
    register: Iterable[Callable[[grpc.aio.Server], None]],
    service_names: Iterable[str],
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    max_connection_age_seconds: float = DEFAULT_MAX_CONNECTION_AGE_SECONDS,
    max_connection_age_grace_seconds: float = DEFAULT_MAX_CONNECTION_AGE_GRACE_SECONDS,
    reflection_enabled: bool = True,
    actor_verifier: ActorVerifier | None = None,
    callers: Callers | None = None,
) -> tuple[grpc.aio.Server, HealthService]:
    """A server with every servicer registered, health (liveness SERVING, readiness unknown until
    told) and, unless ``reflection_enabled`` is off (production: ``ServiceSettings.grpc_reflection``),
    reflection. Actors are verified with ``actor_verifier`` (the development keys when None: tests'
    fakes; a service passes the one its settings name). Over mutual TLS, ``callers`` says which
    services may call each method (rpc.tls; None: any).

    Binding is left to the caller, so tests can bind port 0. A connection age of 0 keeps
    connections for as long as they last.
    """
    options: list[tuple[str, int]] = [
        ("grpc.max_receive_message_length", TRANSPORT_MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", TRANSPORT_MAX_MESSAGE_BYTES),
        ("grpc.so_reuseport", 0),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", KEEPALIVE_MIN_PING_INTERVAL_MS),
    ]
    if max_connection_age_seconds > 0:
        options += [
            ("grpc.max_connection_age_ms", round(max_connection_age_seconds * 1000)),
            ("grpc.max_connection_age_grace_ms", round(max_connection_age_grace_seconds * 1000)),
        ]
    interceptor = ServiceInterceptor(service, max_request_bytes, actor_verifier, callers)
    server = grpc.aio.server(interceptors=[interceptor], options=options)
    for add in register:
        add(server)
    health_servicer = HealthService()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if reflection_enabled:
        # Reflection hands anyone who reaches the port the whole contract: a help while developing,
        # a map for an intruder in production.
        names = [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME]
        reflection.enable_server_reflection(names, server)
    return server, health_servicer


def create_health_server(health_servicer: HealthService) -> grpc.aio.Server:
    """Health alone, in plain gRPC: the kubelet's gRPC probes speak no TLS, and health says nothing
    a stranger may not know. Served on ``<S>_HEALTH_PORT`` beside the mutual-TLS port."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    return server


def _status(serving: bool) -> health_pb2.HealthCheckResponse.ServingStatus:
    return health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING


async def set_serving(health_servicer: HealthService, names: Iterable[str], serving: bool) -> None:
    """Readiness: the "" name and each service's name (``LIVENESS`` is left as it is)."""
    for name in ["", *names]:
        await health_servicer.set(name, _status(serving))


async def set_alive(health_servicer: HealthService, alive: bool) -> None:
    """Liveness: SERVING once the server runs, NOT_SERVING only when the process is stopping."""
    await health_servicer.set(LIVENESS, _status(alive))
