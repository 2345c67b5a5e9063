"""``make run``: the whole system on this machine, one process per service replica.

Checks that every port it will use is free (else says which and by whom, and starts nothing),
makes a development CA and a certificate per service under ``$TQR_VAR_DIR/tls`` (the services call
each other over mutual TLS, as in production: servicekit.rpc.tls), migrates and seeds each
service's database (SQLite files under var/data by default; set ``<SERVICE>_DATABASE_URL`` for
PostgreSQL), gives each service its own RabbitMQ user on the vhost of
``TQR_AMQP_URL`` (``servicekit.broker_users``; removed again at the end), starts the processes, waits
until every health check says SERVING, then prints the web address. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit import broker_users, devpki
from servicekit.bus.access import role
from servicekit.bus.topology import Topology
from servicekit.rpc.tls import TlsFiles

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("TQR_VAR_DIR", ROOT / "var"))
BACKENDS = ["identity", "application", "notification", "documents"]
# Every port below the kernel's ephemeral range (32768+, where outgoing connections take their
# local port): a port there can be held by any client's connection when `make run` starts (seen:
# "port 50100 is already in use" with nothing listening, right after make test).
GRPC_BASE = {"identity": 10100, "application": 10200, "notification": 10300, "documents": 10400}
METRICS_BASE = {"identity": 9110, "application": 9120, "notification": 9130, "documents": 9140}
GATEWAY_PORT, GATEWAY_METRICS_PORT, SMTP_SINK_PORT = 8000, 9100, 1025
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
# TQR_PORT_OFFSET shifts every port, so a second copy (a test run) can live beside `make run`; up to
# 9000 keeps them all below the ephemeral range.
OFFSET = int(os.environ.get("TQR_PORT_OFFSET", "0"))


def grpc_port(service: str, replica: int = 0, offset: int = OFFSET) -> int:
    return GRPC_BASE[service] + replica + offset


def metrics_port(service: str, replica: int = 0, offset: int = OFFSET) -> int:
    return METRICS_BASE[service] + replica + offset


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    grpc_port: int = 0


@dataclass(frozen=True)
class Port:
    what: str  # "gateway", "identity-1 gRPC", "SMTP sink", …
    host: str
    number: int


@dataclass
class Plan:
    replicas: dict[str, int]
    gateway_port: int
    processes: list[Process] = field(default_factory=list)
    ports: list[Port] = field(default_factory=list)


def replicas_wanted() -> dict[str, int]:
    """``TQR_REPLICAS=identity=2,application=2``; every other service runs once."""
    wanted = dict.fromkeys(BACKENDS, 1)
    for item in filter(None, os.environ.get("TQR_REPLICAS", "").split(",")):
        name, _, count = item.partition("=")
        if name.strip() in wanted and count.strip().isdigit():
            wanted[name.strip()] = max(1, int(count))
    return wanted


def reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def check_dependencies() -> list[str]:
    problems = []
    redis_url = os.environ.get("TQR_REDIS_URL", "redis://127.0.0.1:6379/0")
    amqp_url = os.environ.get("TQR_AMQP_URL", DEFAULT_AMQP_URL)
    if not reachable(redis_url, 6379):
        problems.append(f"Redis is not reachable at {redis_url}: start it with "
                        "`redis-server --daemonize yes --port 6379` (or set TQR_REDIS_URL)")
    if not reachable(amqp_url, 5672):
        problems.append(f"RabbitMQ is not reachable at {amqp_url.split('@')[-1]}: start it with "
                        "`rabbitmq-server -detached` (or set TQR_AMQP_URL)")
    return problems


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TQR_ENVIRONMENT", "development")
    env.setdefault("PYTHONUNBUFFERED", "1")
    for service in BACKENDS:
        key = f"{service.upper()}_DATABASE_URL"
        env.setdefault(key, f"sqlite:///{VAR / 'data' / f'{service}.sqlite3'}")
    # Everything a run writes stays under one folder (TQR_VAR_DIR), so runs never share files.
    env.setdefault("NOTIFICATION_OUTBOX_DIR", str(VAR / "outbox"))
    env.setdefault("IDENTITY_DEMO_ACCOUNTS_FILE", str(VAR / "demo-accounts.txt"))
    env.setdefault("DOCUMENTS_STORAGE_DIR", str(VAR / "documents-files"))
    # The development SMTP sink (started by the notification service) moves with the other ports.
    env.setdefault("NOTIFICATION_SMTP_PORT", str(SMTP_SINK_PORT + OFFSET))
    gateway_port = int(env.get("GATEWAY_PORT", str(GATEWAY_PORT + OFFSET)))
    env.setdefault("TQR_PUBLIC_URL", f"http://localhost:{gateway_port}/")  # the gateway's and the links'
    return env


def add_certificates(env: dict[str, str]) -> None:
    """Mutual TLS between the processes, with certificates of a CA made for this run's folder (made
    only once the ports are known to be free: a refused run leaves nothing behind)."""
    for service, files in devpki.ensure(VAR / "tls").items():
        for key, value in devpki.tls_env(service, files).items():
            env.setdefault(key, value)


def build_plan(env: dict[str, str]) -> Plan:
    plan = Plan(replicas=replicas_wanted(), gateway_port=int(env.get("GATEWAY_PORT", str(GATEWAY_PORT + OFFSET))))
    addresses = {
        service: ",".join(f"127.0.0.1:{grpc_port(service, i)}" for i in range(plan.replicas[service]))
        for service in BACKENDS
    }
    # Services that call another service are told where all its replicas are.
    env = {**env, "DOCUMENTS_APPLICATION_ADDRESSES": addresses["application"]}
    for service in BACKENDS:
        ports = [grpc_port(service, i) for i in range(plan.replicas[service])]
        for i, port in enumerate(ports):
            prefix = service.upper()
            name = f"{service}-{i + 1}"
            plan.processes.append(Process(
                name=name,
                args=[sys.executable, "-m", f"tqr_{service}", "serve"],
                env={**env, f"{prefix}_GRPC_PORT": str(port), f"{prefix}_METRICS_PORT": str(metrics_port(service, i))},
                log=VAR / "log" / f"{name}.log",
                grpc_port=port,
            ))
            host = env.get(f"{prefix}_GRPC_HOST", "127.0.0.1")  # the metrics listen there too
            plan.ports += [Port(f"{name} gRPC", host, port), Port(f"{name} metrics", host, metrics_port(service, i))]
    if smtp_sink_runs(env):  # one sink for every notification replica
        plan.ports.append(Port("SMTP sink", env.get("NOTIFICATION_SMTP_HOST", "127.0.0.1"),
                               int(env.get("NOTIFICATION_SMTP_PORT", str(SMTP_SINK_PORT + OFFSET)))))
    gateway_host = env.get("GATEWAY_HOST", "127.0.0.1")
    plan.ports += [Port("gateway", gateway_host, plan.gateway_port),
                   Port("gateway metrics", gateway_host, GATEWAY_METRICS_PORT + OFFSET)]
    gateway_env = {**env, "GATEWAY_PORT": str(plan.gateway_port),
                   "GATEWAY_METRICS_PORT": str(GATEWAY_METRICS_PORT + OFFSET)}
    for service, joined in addresses.items():
        gateway_env.setdefault(f"GATEWAY_{service.upper()}_ADDRESSES", joined)
    plan.processes.append(Process("gateway-1", [sys.executable, "-m", "tqr_gateway", "serve"], gateway_env,
                                  VAR / "log" / "gateway-1.log"))
    return plan


def smtp_sink_runs(env: dict[str, str]) -> bool:
    """The notification service's own development SMTP sink: on in development unless turned off."""
    flag = env.get("NOTIFICATION_DEV_SMTP_SINK", "").strip().lower()
    if flag:
        return flag in ("1", "true", "yes", "on")
    return env.get("TQR_ENVIRONMENT") == "development"


def taken_ports(plan: Plan) -> list[str]:
    """One line per port of the plan that something already holds.

    Checked before anything starts: a second copy would otherwise start beside the first and fail
    half-way, and worse, look healthy while doing so (its health check reaches the first copy's
    gateway; gRPC servers share a port through SO_REUSEPORT, so two copies split the calls).
    """
    return [f"port {port.number} ({port.what}) is already in use{_held_by(port.number)}"
            for port in plan.ports if not _bindable(port)]


def _bindable(port: Port) -> bool:
    family = socket.AF_INET6 if ":" in port.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the servers do: a connection of a copy that just stopped (TIME_WAIT) does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((port.host, port.number))
        except OSError:
            return False
    return True


def _held_by(number: int) -> str:
    """`` by pid 123 (python -m tqr_gateway serve)`` when /proc tells (Linux, our own processes or root)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local address "0100007F:1F40", state 0A listening or 07 bound; field 9 is the inode
            if len(fields) > 9 and int(fields[1].rsplit(":", 1)[1], 16) == number and fields[3] in ("0A", "07"):
                inodes.add(f"socket:[{fields[9]}]")
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in inodes for fd in fd_dir.iterdir()):
                command = (fd_dir.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                return f" by pid {fd_dir.parent.name} ({command.strip()[:100]})"
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return ""


def broker_logins(env: dict[str, str]) -> list[broker_users.Login]:
    """A RabbitMQ user of its own for each service that has no ``<S>_AMQP_URL`` yet, on the vhost of
    ``TQR_AMQP_URL``, with a new password each run. Users are global to the broker, so their names
    carry the vhost (``tqr-dev-`` on "/")."""
    vhost = broker_users.vhost_of(env.get("TQR_AMQP_URL", DEFAULT_AMQP_URL))
    prefix = "tqr-dev-" if vhost == "/" else f"{vhost}-"
    return [broker_users.Login(role(service), f"{prefix}{service}", secrets.token_hex(16), vhost)
            for service in BACKENDS if not env.get(f"{service.upper()}_AMQP_URL")]


def rabbitmqctl(node: str = "") -> list[str]:
    """The command, for the machine's node or the one named (``-n``)."""
    return [shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl", *(["-n", node] if node else [])]


def make_broker_users(env: dict[str, str], node: str = "") -> list[broker_users.Login]:
    """Make ``broker_logins``' users, with the rights the bus table gives each service on the
    exchange and queue prefix of ``env``; raises BrokerUsersError when rabbitmqctl cannot."""
    logins = broker_logins(env)
    topology = Topology(env.get("TQR_EXCHANGE", "tqr.events"), env.get("TQR_QUEUE_PREFIX", ""))
    broker_users.apply(logins, topology, rabbitmqctl(node))
    return logins


def create_broker_users(env: dict[str, str]) -> list[broker_users.Login]:
    """``make_broker_users``; none (and one line saying so) when rabbitmqctl cannot: then every
    service connects as ``TQR_AMQP_URL``'s user, as before."""
    try:
        return make_broker_users(env)
    except broker_users.BrokerUsersError as exc:
        print(f"Every service shares TQR_AMQP_URL's broker user: their own users could not be made ({exc}). "
              "Run as a user who may use rabbitmqctl (root, the rabbitmq group) to get them.", file=sys.stderr)
        return []


class _Started(Protocol):
    name: str  # "<service>-<n>"
    env: dict[str, str]


def give_broker_logins(processes: Iterable[_Started], logins: list[broker_users.Login], env: dict[str, str]) -> None:
    """Each service's processes get their own service's URL, and no other."""
    admin_url = env.get("TQR_AMQP_URL", DEFAULT_AMQP_URL)
    urls = {login.role.name: broker_users.url_for(admin_url, login) for login in logins}
    for process in processes:
        service = process.name.rsplit("-", 1)[0]
        if service in urls:
            process.env[f"{service.upper()}_AMQP_URL"] = urls[service]


def remove_broker_users(logins: list[broker_users.Login], node: str = "") -> None:
    try:
        broker_users.delete([login.user for login in logins], rabbitmqctl(node))
    except broker_users.BrokerUsersError as exc:
        print(f"The services' broker users were not removed: {exc}", file=sys.stderr)


def prepare_databases(env: dict[str, str]) -> None:
    for service in BACKENDS:
        for command in ("migrate", "seed"):
            if command == "seed" and not _has_seed(service):
                continue
            result = subprocess.run([sys.executable, "-m", f"tqr_{service}", command], env=env,  # noqa: S603
                                    capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"{service} {command} failed:\n{result.stderr[-2000:]}")
            line = result.stdout.strip().splitlines()
            if line:
                print(f"  {line[-1]}")


def _has_seed(service: str) -> bool:
    return (ROOT / "services" / service / "src" / f"tqr_{service}" / "seed.py").exists()


def start(plan: Plan) -> None:
    (VAR / "log").mkdir(parents=True, exist_ok=True)
    for process in plan.processes:
        handle = process.log.open("ab")
        process.popen = subprocess.Popen(process.args, env=process.env, stdout=handle, stderr=handle,  # noqa: S603
                                         cwd=ROOT)


async def wait_until_serving(plan: Plan, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    for process in plan.processes:
        while True:
            if process.popen is not None and process.popen.poll() is not None:
                tail = process.log.read_text(errors="replace")[-1500:]
                raise SystemExit(f"{process.name} exited during start-up; its log ({process.log}):\n{tail}")
            if await _serving(process, plan.gateway_port):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{process.name} did not become ready within {timeout:.0f} s; see {process.log}")
            await asyncio.sleep(0.25)


async def _serving(process: Process, gateway_port: int) -> bool:
    if process.grpc_port:
        try:
            async with _channel_to(process) as channel:
                reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
            return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
        except grpc.aio.AioRpcError:
            return False
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            return (await client.get(f"http://127.0.0.1:{gateway_port}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


def _channel_to(process: Process) -> grpc.aio.Channel:
    """A channel to a service process, over mutual TLS (as the gateway) when the process has TLS."""
    service = process.name.rsplit("-", 1)[0]
    address = f"127.0.0.1:{process.grpc_port}"
    env = process.env
    prefix = service.upper()
    if not env.get(f"{prefix}_TLS_CERT") or not env.get("GATEWAY_TLS_CERT"):
        return grpc.aio.insecure_channel(address)
    gateway = TlsFiles(env["GATEWAY_TLS_CERT"], env["GATEWAY_TLS_KEY"], env["GATEWAY_TLS_CA"])
    return grpc.aio.secure_channel(address, gateway.channel_credentials(),
                                   options=[("grpc.ssl_target_name_override", service)])


def stop(plan: Plan, grace: float = 20.0) -> None:
    running = [p.popen for p in plan.processes if p.popen is not None and p.popen.poll() is None]
    for popen in running:
        popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for popen in running:
        try:
            popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


def main() -> int:
    problems = check_dependencies()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    env = base_env()
    plan = build_plan(env)
    taken = taken_ports(plan)
    if taken:
        print("\n".join(taken), file=sys.stderr)
        print("Is another `make run` running? Stop it, or set TQR_PORT_OFFSET (e.g. TQR_PORT_OFFSET=1000) "
              "to run beside it. Nothing was started.", file=sys.stderr)
        return 1
    add_certificates(env)
    plan = build_plan(env)  # again, now that the processes' environment names their certificates
    print("Preparing databases…")
    prepare_databases(env)
    logins = create_broker_users(env)
    give_broker_logins(plan.processes, logins, env)
    try:
        return run(plan, env)
    finally:
        remove_broker_users(logins)


def run(plan: Plan, env: dict[str, str]) -> int:
    """Start the processes, wait for them, and stop them at Ctrl-C or when one stops by itself."""
    # Ctrl-C reaches every process of the group; the services stop themselves, we wait for them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    start(plan)
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        asyncio.run(wait_until_serving(plan))
        if not stopping:
            print_welcome(plan, env)
        while not stopping:
            for process in plan.processes:
                if process.popen is not None and process.popen.poll() is not None:
                    print(f"{process.name} stopped unexpectedly (exit {process.popen.returncode}); "
                          f"see {process.log}", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    except SystemExit as exc:
        print(exc, file=sys.stderr)
        stop(plan)
        return 1
    print("Stopping…")
    stop(plan)
    print("Stopped.")
    return 0


def print_welcome(plan: Plan, env: dict[str, str]) -> None:
    url = env.get("GATEWAY_PUBLIC_URL") or env.get("TQR_PUBLIC_URL") or f"http://localhost:{plan.gateway_port}/"
    counts = ", ".join(f"{s}×{n}" for s, n in plan.replicas.items())
    print(f"\n教师资格定期注册网上申报 is running ({counts}, gateway×1).")
    print(f"Open {url}")
    demo = VAR / "demo-accounts.txt"
    if demo.exists():
        print(demo.read_text())
    print(f"Logs: {VAR / 'log'}    Stop: Ctrl-C\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
