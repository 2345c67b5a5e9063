"""The whole system, started the way ``make run`` starts it but held by the harness process.

``make run`` (tools/devrun.py) stops everything when one process dies; a load test that kills
processes on purpose needs to restart just that one. So this module builds the same processes with
the same settings (tools.devrun's ports and conventions), on PostgreSQL as in production, in a
RabbitMQ vhost and a var folder of its own, and keeps a handle per process: ``kill``, ``restart``,
``stop``. The development SMTP sink runs as its own process, as a real mail server would, so that
killing a notification replica does not take the mail server with it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from servicekit import broker_users

from tools import devrun
from tools.loadtest import broker

ROOT = devrun.ROOT
PG_ADMIN_URL = os.environ.get("TQR_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Options:
    replicas: dict[str, int] = field(default_factory=lambda: dict.fromkeys(devrun.BACKENDS, 1))
    # A fresh folder under /tmp when not given, removed when the system stops (it holds the run's
    # passwords, session cookies in the wrk scripts and the emails sent); a given one is the caller's.
    var: Path | None = None
    amqp_base: str = "amqp://guest:guest@127.0.0.1:5672"
    rabbit_node: str = ""  # rabbitmqctl -n NODE for the vhost; empty = the machine's node
    redis_url: str = "redis://127.0.0.1:6379/3"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Services run under cProfile (stats in <var>/profile-<process>.pstats when they stop), to see
    # where a run's CPU goes: e.g. {"identity", "application"}.
    profile: set[str] = field(default_factory=set)


@dataclass
class Service:
    """One process of the system; ``restart`` starts it again with the same command and settings."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    grpc_port: int = 0
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as handle:
            self.popen = subprocess.Popen(self.args, env=self.env, stdout=handle, stderr=handle,  # noqa: S603
                                          cwd=ROOT, start_new_session=True)
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no drain, no goodbye; whatever was in flight is cut."""
        if self.alive and self.popen is not None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def terminate(self, grace: float = 20.0) -> None:
        if self.alive and self.popen is not None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class System:
    url: str
    var: Path
    ports: Ports
    env: dict[str, str]
    database_urls: dict[str, str]
    services: list[Service]
    sink: Service
    vhost: str = ""
    rabbit_node: str = ""
    accounts_made: int = 0  # bench set-up accounts created so far (tools.loadtest.load.prepare_people)
    broker_logins: list[broker_users.Login] = field(default_factory=list)  # each service's own
    removes_var: bool = False  # the folder is this run's own (Options.var not given)

    def named(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def replicas_of(self, service: str) -> list[Service]:
        return [s for s in self.services if s.name.startswith(f"{service}-")]

    @property
    def outbox(self) -> Path:
        return self.var / "outbox"

    async def wait_serving(self, service: Service, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        probe = devrun.Process(service.name, service.args, service.env, service.log, grpc_port=service.grpc_port)
        gateway_port = int(self.url.rsplit(":", 1)[1])
        while not await devrun._serving(probe, gateway_port):
            if not service.alive:
                tail = service.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{service.name} exited during start-up:\n{tail}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{service.name} did not become ready within {timeout:.0f} s; see {service.log}")
            await asyncio.sleep(0.2)

    async def restart(self, service: Service) -> None:
        service.start()
        await self.wait_serving(service)


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class Ports:
    """Every port of one copy of the system, below the kernel's ephemeral range (32768+), so an
    outgoing connection of another process can never be holding one when a service binds it."""

    gateway: int
    gateway_metrics: int
    smtp: int
    grpc: dict[str, list[int]]
    metrics: dict[str, list[int]]


def choose_ports(replicas: dict[str, int]) -> Ports:
    needed = 3 + 2 * sum(replicas.values())
    for base in range(21000 + (os.getpid() % 40) * 60, 32000, 60):
        candidates = list(range(base, base + needed))
        if all(_free(p) for p in candidates):
            numbers = iter(candidates)
            gateway, gateway_metrics, smtp = next(numbers), next(numbers), next(numbers)
            grpc = {s: [next(numbers) for _ in range(replicas[s])] for s in devrun.BACKENDS}
            metrics = {s: [next(numbers) for _ in range(replicas[s])] for s in devrun.BACKENDS}
            return Ports(gateway, gateway_metrics, smtp, grpc, metrics)
    raise RuntimeError("no free port range for the system under test")


async def _create_databases(prefix: str) -> dict[str, str]:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    urls = {}
    try:
        for service in devrun.BACKENDS:
            name = f"{prefix}_{service}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            urls[service] = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        await admin.close()
    return urls


async def _drop_databases(urls: dict[str, str]) -> None:
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for url in urls.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


def _environment(options: Options, var: Path, ports: Ports, amqp_url: str, urls: dict[str, str],
                 tag: str) -> dict[str, str]:
    gateway_port = ports.gateway
    env = {
        **os.environ,
        "TQR_ENVIRONMENT": "development",
        "PYTHONUNBUFFERED": "1",
        "TQR_VAR_DIR": str(var),
        "TQR_AMQP_URL": amqp_url,
        "TQR_REDIS_URL": options.redis_url,
        "TQR_QUEUE_PREFIX": f"{tag}.",
        "TQR_LOG_LEVEL": "WARNING",  # a load test writes no per-request log line
        "NOTIFICATION_OUTBOX_DIR": str(var / "outbox"),
        "IDENTITY_DEMO_ACCOUNTS_FILE": str(var / "demo-accounts.txt"),
        "DOCUMENTS_STORAGE_DIR": str(var / "documents-files"),
        "NOTIFICATION_SMTP_PORT": str(ports.smtp),
        "NOTIFICATION_DEV_SMTP_SINK": "false",  # the sink is a process of its own (see module doc)
        "NOTIFICATION_SITE_URL": f"http://localhost:{gateway_port}/",
        # Keys in Redis stay apart from any other copy of the system on the same Redis.
        "IDENTITY_REDIS_KEY_PREFIX": f"{tag}:identity",
        "NOTIFICATION_REDIS_KEY_PREFIX": f"{tag}:notification",
        # The gateway's too: an earlier run's waiting room (thousands of places given up) would
        # otherwise greet this run's first visitors.
        "GATEWAY_REDIS_KEY_PREFIX": f"{tag}:gateway",
    }
    for service in devrun.BACKENDS:
        env[f"{service.upper()}_DATABASE_URL"] = urls[service]
    env.update(options.extra_env)
    return env


def _command(module: str, name: str, var: Path, profile: set[str]) -> list[str]:
    if name.rsplit("-", 1)[0] in profile:
        return [sys.executable, "-m", "cProfile", "-o", str(var / f"profile-{name}.pstats"), "-m", module, "serve"]
    return [sys.executable, "-m", module, "serve"]


def _services(env: dict[str, str], replicas: dict[str, int], var: Path, ports: Ports,
              profile: set[str]) -> list[Service]:
    addresses = {s: ",".join(f"127.0.0.1:{p}" for p in ports.grpc[s])
                 for s in devrun.BACKENDS}
    env = {**env, "DOCUMENTS_APPLICATION_ADDRESSES": addresses["application"]}
    services = []
    for service in devrun.BACKENDS:
        for i in range(replicas[service]):
            port = ports.grpc[service][i]
            prefix = service.upper()
            name = f"{service}-{i + 1}"
            services.append(Service(
                name, _command(f"tqr_{service}", name, var, profile),
                {**env, f"{prefix}_GRPC_PORT": str(port),
                 f"{prefix}_METRICS_PORT": str(ports.metrics[service][i])},
                var / "log" / f"{service}-{i + 1}.log", grpc_port=port))
    gateway_env = {**env, "GATEWAY_PORT": str(ports.gateway),
                   "GATEWAY_METRICS_PORT": str(ports.gateway_metrics)}
    for service, joined in addresses.items():
        gateway_env[f"GATEWAY_{service.upper()}_ADDRESSES"] = joined
    services.append(Service("gateway-1", _command("tqr_gateway", "gateway-1", var, profile), gateway_env,
                            var / "log" / "gateway-1.log"))
    return services


async def start_system(options: Options) -> System:
    """Databases, vhost, migrations and seed data, every process SERVING (``stop_system`` undoes it all)."""
    tag = f"lt{uuid.uuid4().hex[:8]}"
    var = options.var or Path(f"/tmp/tqr-loadtest-{tag}")  # noqa: S108 - a scratch folder per run
    var.mkdir(parents=True, exist_ok=True)
    ports = choose_ports(options.replicas)
    urls = await _create_databases(tag)
    vhost = await broker.add_vhost(tag, options.rabbit_node)
    env = _environment(options, var, ports, f"{options.amqp_base}/{vhost}", urls, tag)
    services = _services(env, options.replicas, var, ports, options.profile)
    sink = Service("smtp-sink", [sys.executable, "-m", "tqr_notification.channels.dev_outbox",
                                 "--port", env["NOTIFICATION_SMTP_PORT"], "--dir", str(var / "outbox")],
                   env, var / "log" / "smtp-sink.log")
    system = System(f"http://127.0.0.1:{ports.gateway}", var, ports, env, urls, services, sink,
                    vhost=vhost, rabbit_node=options.rabbit_node,
                    # Profiles are written into it as the processes stop, for the caller to read.
                    removes_var=options.var is None and not options.profile)
    try:
        # Each service its own broker user with its own rights, as make run and production: a
        # service can publish only its own events (and a run measures the broker checking that).
        system.broker_logins = await asyncio.to_thread(devrun.make_broker_users, env, options.rabbit_node)
        devrun.give_broker_logins(services, system.broker_logins, env)
        await asyncio.to_thread(devrun.prepare_databases, env)
        sink.start()
        for service in services:
            service.start()
        for service in services:
            await system.wait_serving(service, timeout=120)
    except BaseException:
        await stop_system(system)
        raise
    return system


async def stop_system(system: System) -> None:
    for service in reversed(system.services):
        await asyncio.to_thread(service.terminate)
    await asyncio.to_thread(system.sink.terminate, 5)
    await _drop_databases(system.database_urls)
    await asyncio.to_thread(devrun.remove_broker_users, system.broker_logins, system.rabbit_node)
    await broker.delete_vhost(system.vhost, system.rabbit_node)
    if system.removes_var:
        await asyncio.to_thread(shutil.rmtree, system.var, True)


@asynccontextmanager
async def running_system(options: Options) -> AsyncIterator[System]:
    system = await start_system(options)
    try:
        yield system
    finally:
        await stop_system(system)
