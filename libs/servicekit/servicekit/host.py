"""One service process: database, bus, relay, consumer, gRPC server, health and metrics.

Each service's ``bootstrap`` builds a ``ServiceHost`` from its settings and its own parts; tests
start the same host in-process on port 0. Start order brings dependencies up before the server
says SERVING; stop order is the reverse, so in-flight work finishes (graceful shutdown).

Readiness follows the dependencies for the whole life of the process: a watcher pings the database
and looks at the broker connection every ``health_interval`` and reports NOT_SERVING while either is
away and SERVING once both are back (the engine's pool and the robust AMQP connection reconnect by
themselves). Liveness (``rpc.server.LIVENESS``) stays SERVING through such an outage and turns
NOT_SERVING only when the process stops; the callers' channels watch it (``rpc.health``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import aio_pika
import grpc
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit import db, metrics
from servicekit.bus.consumer import Consumer, Subscription
from servicekit.bus.publisher import Publisher
from servicekit.bus.topology import Topology
from servicekit.outbox import OutboxRelay
from servicekit.rpc.health import HealthService
from servicekit.rpc.server import create_health_server, create_server, set_alive, set_serving
from servicekit.rpc.tls import Callers
from servicekit.service_settings import ServiceSettings

log = logging.getLogger(__name__)

# After liveness turns NOT_SERVING: the callers' channels hear it at once (their health watch), and
# calls they sent just before arrive and are answered meanwhile.
CALLERS_LEAVE_SECONDS = 1.0

Hook = Callable[[], Awaitable[None]]


@dataclass
class HostParts:
    """What a service plugs into the host; everything but the name is optional."""

    name: str
    engine: AsyncEngine
    register: list[Callable[[grpc.aio.Server], None]] = field(default_factory=list)
    service_names: list[str] = field(default_factory=list)
    outbox: Table | None = None
    inbox: Table | None = None
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    # Which services may call each method over mutual TLS (rpc.tls); None: any caller.
    callers: Callers | None = None


class ServiceHost:
    def __init__(self, settings: ServiceSettings, parts: HostParts, health_interval: float = 2.0) -> None:
        self.settings = settings
        self.parts = parts
        self.name = parts.name
        self.engine = parts.engine
        self.sessions: async_sessionmaker[AsyncSession] = db.sessionmaker(parts.engine)
        self.topology = Topology(settings.exchange, settings.queue_prefix)
        self.health_interval = health_interval
        self.connection: AbstractRobustConnection | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: Consumer | None = None
        self.server: grpc.aio.Server | None = None
        self.health_server: grpc.aio.Server | None = None
        self.port: int = 0
        self.health_port: int = 0
        self.metrics_port: int = 0
        self._health: HealthService | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        self._serving: bool | None = None

    @property
    def uses_bus(self) -> bool:
        return self.parts.outbox is not None or bool(self.parts.subscriptions)

    async def start(self) -> None:
        await db.ping(self.engine)
        if self.uses_bus:
            self.connection = await aio_pika.connect_robust(
                self.settings.amqp_url,
                heartbeat=self.settings.heartbeat_seconds,
                client_properties={"connection_name": f"tqr-{self.name}"},
            )
        if self.parts.outbox is not None and self.connection is not None:
            publisher = Publisher(self.connection, self.topology, self.name)
            await publisher.start()
            self.relay = OutboxRelay(
                self.name, self.sessions, self.parts.outbox, publisher,
                poll_seconds=self.settings.outbox_poll_seconds, reading=db.reading_sessionmaker(self.engine),
            )
            self.relay.start()
        for hook in self.parts.on_start:
            await hook()
        if self.parts.subscriptions and self.connection is not None and self.parts.inbox is not None:
            self.consumer = Consumer(
                service=self.name, connection=self.connection, topology=self.topology,
                registry=self.parts.subscriptions, sessions=self.sessions, inbox=self.parts.inbox,
                delivery_limit=self.settings.delivery_limit, prefetch=self.settings.prefetch,
            )
            await self.consumer.start()
        self.server, self._health = create_server(
            self.name, self.parts.register, self.parts.service_names, self.settings.max_request_bytes,
            max_connection_age_seconds=self.settings.max_connection_age_seconds,
            max_connection_age_grace_seconds=self.settings.max_connection_age_grace_seconds,
            reflection_enabled=self.settings.reflection_enabled,
            actor_verifier=self.settings.actor_verifier(), callers=self.parts.callers,
        )
        address = f"{self.settings.grpc_host}:{self.settings.grpc_port}"
        tls = self.settings.tls
        if tls.configured:
            self.port = self.server.add_secure_port(address, tls.server_credentials())
        else:
            self.port = self.server.add_insecure_port(address)
        await self.server.start()
        if self.settings.health_port >= 0:
            self.health_server = create_health_server(self._health)
            self.health_port = self.health_server.add_insecure_port(
                f"{self.settings.grpc_host}:{self.settings.health_port}")
            await self.health_server.start()
        await set_alive(self._health, True)
        if self.settings.metrics_port >= 0:
            self.metrics_port = metrics.serve_metrics(self.settings.metrics_port, self.settings.grpc_host)
        await self._report(await self._healthy())
        self._watch = asyncio.create_task(self._watch_dependencies(), name=f"{self.name}-health")
        log.info("serving", extra={"grpc_port": self.port, "metrics_port": self.metrics_port})

    def nudge_relay(self) -> None:
        if self.relay is not None:
            self.relay.nudge()

    async def stop(self) -> None:
        """Leave in two steps, so that no caller's call is lost, then close.

        1. Readiness NOT_SERVING for ``drain_seconds``, every call still answered: probes take the
           replica out of its Service and DNS, and each caller, whose connection ends within the
           maximum connection age, asks DNS again and learns the replicas that stay (a replica
           started just before this one stops among them).
        2. Liveness NOT_SERVING, which the callers' channels watch: from then on they send their calls
           to the other replicas they know, also those whose DNS still names this one. A moment for
           the word to reach them and for calls already on their way to arrive, then the server
           stops, letting calls in flight finish within the grace. (A call reaching a gRPC server at
           the instant it stops is cancelled by grpc, neither refused nor retried: hence step 2.)
        """
        if self._stopping:
            return
        self._stopping = True
        grace = self.settings.shutdown_grace_seconds
        if self._watch:
            self._watch.cancel()
        await self._report(False)
        await asyncio.sleep(self.settings.drain_seconds)
        if self._health is not None:
            await set_alive(self._health, False)
            # A drain of 0 (tests) means "stop at once": no moment for callers either.
            await asyncio.sleep(min(CALLERS_LEAVE_SECONDS, self.settings.drain_seconds))
        if self.consumer is not None:
            await self.consumer.stop(grace)
        if self._health is not None:
            await self._health.end_watches()  # or the server would wait the whole grace for them
        if self.server is not None:
            await self.server.stop(grace)
        if self.health_server is not None:
            await self.health_server.stop(None)
        for hook in reversed(self.parts.on_stop):
            await hook()
        if self.relay is not None:
            await self.relay.stop()
        if self.connection is not None:
            await self.connection.close()
        await self.engine.dispose()
        log.info("stopped")

    async def _healthy(self) -> bool:
        try:
            await asyncio.wait_for(db.ping(self.engine), timeout=2.0)
        except Exception:
            return False
        if self.connection is not None and not self.connection.connected.is_set():
            return False
        return True

    async def _report(self, serving: bool) -> None:
        if self._health is None or serving == self._serving or (serving and self._stopping):
            return  # once stopping, nothing says SERVING again
        recovered = serving and self._serving is False
        self._serving = serving
        await set_serving(self._health, self.parts.service_names, serving)
        metrics.SERVING.labels(self.name).set(1 if serving else 0)
        if self._stopping:
            return
        if not serving:
            log.warning("NOT_SERVING: the database or the broker is unreachable")
        elif recovered:
            log.info("SERVING again: the database and the broker answer")

    async def _watch_dependencies(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.health_interval)
            if self._stopping:
                return
            try:
                await self._report(await self._healthy())
            except Exception:
                # The watcher must outlive any one failed look, or readiness would stay frozen at
                # whatever it last said until the process is restarted.
                log.exception("the dependency check failed; trying again")


async def run_until_signalled(host: ServiceHost, extra: Iterable[Hook] = ()) -> None:
    """Start, wait for SIGTERM or SIGINT, stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await host.start()
    for hook in extra:
        await hook()
    await stop.wait()
    await host.stop()
