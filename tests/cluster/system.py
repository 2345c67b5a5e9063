"""The system as the manifests deploy it, each process its own host.

``Cluster`` renders an overlay, fills the Secrets as an operator would (with this machine's real
PostgreSQL through PgBouncer, RabbitMQ and Redis behind the names the Secrets use), runs the
migration Jobs, and starts pods: each replica of a Deployment is a process in its own network
namespace, started with exactly its container's environment. A pod's address is published in DNS
under its headless Service once its readiness check passes and withdrawn before it is stopped, as
Kubernetes' endpoints controller does. The only thing the harness changes is DNS.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit.rpc.actor import ActorSigner
from tqr.common.v1.actor_pb2 import Actor

from tests.cluster import manifests
from tests.cluster.claims import claim_one
from tests.cluster.dns import Dns
from tests.cluster.network import Host, Network, _owner_alive
from tests.cluster.pooler import Pooler, PoolerDatabase, psql

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("identity", "application", "notification", "documents")
# Redis databases the harness's services may use: each cluster alive claims one (`make test` runs a
# cluster beside the main run's, tools/test_suite.py), empties it before and after.
REDIS_DBS = range(10, 14)


@dataclass
class Pod:
    workload: str
    index: int
    host: Host
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]
    # In its Service (DNS, or the ingress's list for gateways) from its first passed readiness check
    # until it is withdrawn: only then is traffic sent to it.
    in_service: bool = False
    withdrawn: bool = False

    @property
    def name(self) -> str:
        return f"{self.workload}-{self.index}"

    @property
    def address(self) -> str:
        return self.host.address

    def port(self, setting: str) -> int:
        return int(self.env[setting])


@dataclass
class Infrastructure:
    """What an operator provides beside the manifests: database, broker, Redis, and their Secrets."""

    run_id: str
    redis_db: int
    pg_password: str = field(default_factory=lambda: uuid.uuid4().hex)
    redis_password: str = field(default_factory=lambda: uuid.uuid4().hex)
    databases: dict[str, str] = field(default_factory=dict)  # name in the Secret → the test's database
    # Broker users are global to this machine's RabbitMQ: each account a Secret names gets the run's id.
    amqp_users: dict[str, str] = field(default_factory=dict)  # account in the Secret → the harness's user
    vhost: str = ""
    redis_user: str = ""
    # The names the Secrets give the data tier: database hosts (the pooler, and the primary the
    # migration Jobs use: both lead to the harness's PgBouncer), the broker and Redis.
    database_hosts: set[str] = field(default_factory=set)
    hostnames: dict[str, str] = field(default_factory=dict)
    operator: manifests.Filler = field(default_factory=manifests.operator_fill)

    def fill(self, secret: str, key: str, value: str) -> str:
        """An operator's value for one CHANGE-ME of secrets.yaml.example: this machine's servers
        behind the names the example uses; every other value as the example's comments say."""
        url = urllib.parse.urlsplit(value) if "://" in value else None
        if url is not None and url.scheme.split("+")[0] in ("postgresql", "postgres", "amqp", "redis"):
            return self._fill_url(secret, key, value)
        return self.operator(secret, key, value)

    def _fill_url(self, secret: str, key: str, value: str) -> str:
        url = urllib.parse.urlsplit(value)
        host = url.hostname or ""
        if url.scheme.startswith("postgres"):
            self.database_hosts.add(host)
            database = url.path.lstrip("/")
            self.databases.setdefault(database, f"tqrc_{self.run_id}_{database}")
            return f"{url.scheme}://{url.username}:{self.pg_password}@{host}:{url.port or 5432}/{database}"
        if url.scheme.startswith("amqp"):
            # The operator's password for the account (the same as beside its username), on the
            # harness's vhost, for a user named after the account and the run.
            password = urllib.parse.urlsplit(self.operator(secret, key, value)).password
            self.hostnames["rabbitmq"] = host
            user = self.amqp_users.setdefault(str(url.username), f"{url.username}-{self.run_id}")
            self.vhost = self.vhost or f"tqrc-{self.run_id}"
            return (f"{url.scheme}://{user}:{password}@{host}:{url.port or 5672}/"
                    f"{urllib.parse.quote(self.vhost, safe='')}")
        if url.scheme.startswith("redis"):
            # This machine's Redis has no password on its default user; the harness gets an ACL user.
            self.hostnames["redis"] = host
            self.redis_user = f"tqrc-{self.run_id}"
            return f"{url.scheme}://{self.redis_user}:{self.redis_password}@{host}:{url.port or 6379}/{self.redis_db}"
        raise ValueError(f"no server of the harness plays {value!r}")


class Cluster:
    def __init__(self, overlay: str = "prod") -> None:
        self.overlay = overlay
        self.folder = Path(tempfile.mkdtemp(prefix="tqr-cluster-"))
        self.network = Network()
        self._redis_claim = claim_one("redis-db", REDIS_DBS)
        self.infra = Infrastructure(self.network.run_id, self._redis_claim.value)
        self.resources = manifests.render(overlay)
        self.secrets = manifests.fill_secrets(self.infra.fill)
        self.workloads = manifests.containers(self.resources, self.secrets)
        self.dns = Dns(self.network.gateway_address, self.folder)
        # One instance of the overlay's CloudNativePG Pooler, with its parameters; its databases are
        # the ones the filled Secrets name, known once they are created.
        parameters = self.pooler_spec()["pgbouncer"].get("parameters", {})
        self.pooler = Pooler(self.network.gateway_address, 5432, [],
                             pool_size=int(parameters.get("default_pool_size", 20)),
                             max_client_conn=int(parameters.get("max_client_conn", 100)))
        self.pods: dict[str, Pod] = {}
        self._forwarder: subprocess.Popen[bytes] | None = None
        self._started: list[str] = []

    def pooler_spec(self) -> dict:
        (pooler,) = manifests.of_kind(self.resources, "Pooler").values()
        assert pooler["spec"]["pgbouncer"].get("poolMode") == "transaction", "the harness plays a transaction pooler"
        return dict(pooler["spec"])

    # --- bring-up -------------------------------------------------------------------------------

    def start(self) -> Cluster:
        self.network.open()
        self._started.append("network")
        self.dns.start()
        self._started.append("dns")
        self._start_database()
        self._start_broker()
        self._start_redis()
        self._start_forwarder()
        for name in (*self.infra.database_hosts, *self.infra.hostnames.values()):
            self.dns.add(name, self.network.gateway_address)
        return self

    def _start_database(self) -> None:
        for real in self.infra.databases.values():
            psql(f'CREATE DATABASE "{real}"')
        self._started.append("databases")
        user = self._database_user()
        self.pooler.databases = [PoolerDatabase(name, real, user, self.infra.pg_password)
                                 for name, real in self.infra.databases.items()]
        self.pooler.start()
        self._started.append("pooler")

    def _database_user(self) -> str:
        for values in self.secrets.values():
            for key, value in values.items():
                if key.endswith("_DATABASE_URL"):
                    return urllib.parse.urlsplit(value).username or "tqr"
        return "tqr"

    def _start_broker(self) -> None:
        rabbitmqctl("add_vhost", self.infra.vhost)
        self._started.append("vhost")
        self._sweep_broker_users()
        self._started.append("amqp_users")
        self.broker_users()

    def _sweep_broker_users(self) -> None:
        """Users of runs killed half-way (``<account>-<run id>`` of a run whose process is gone):
        users are global to the broker and would otherwise stay for good."""
        from servicekit import broker_users

        leftovers = [user for user in broker_users.users() for account in self.infra.amqp_users
                     if re.fullmatch(rf"{re.escape(account)}-\d{{7}}[a-z]?", user)
                     and not _owner_alive(user.rsplit("-", 1)[1])]
        broker_users.delete(leftovers)

    def broker_users(self, *args: str) -> None:
        """``python -m servicekit.broker_users`` as an operator runs it without the Topology Operator:
        the services' AMQP URLs from the filled Secrets, the exchange from the shared ConfigMap."""
        urls = {key: value for values in self.secrets.values() for key, value in values.items()
                if key.endswith("AMQP_URL")}
        (shared,) = [cm.get("data", {}) for name, cm in manifests.of_kind(self.resources, "ConfigMap").items()
                     if name.startswith("tqr-shared")]
        topology = {"TQR_EXCHANGE": shared.get("TQR_EXCHANGE", "tqr.events"),
                    "TQR_QUEUE_PREFIX": shared.get("TQR_QUEUE_PREFIX", "")}
        result = subprocess.run([sys.executable, "-m", "servicekit.broker_users", *args],
                                env={**os.environ, **urls, **topology}, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"broker_users {' '.join(args)} failed: {result.stderr[-2000:]}")

    def _start_redis(self) -> None:
        redis_cli("ACL", "SETUSER", self.infra.redis_user, "on", f">{self.infra.redis_password}", "~*", "&*", "+@all")
        self._started.append("redis_user")
        redis_cli("-n", str(self.infra.redis_db), "FLUSHDB")

    def _start_forwarder(self) -> None:
        gateway = self.network.gateway_address
        log = (self.folder / "forwarder.log").open("ab")
        self._forwarder = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "cluster" / "forward.py"),
             f"{gateway}:5672=127.0.0.1:5672", f"{gateway}:6379=127.0.0.1:6379"],
            stdout=subprocess.PIPE, stderr=log)
        assert self._forwarder.stdout is not None
        self._forwarder.stdout.readline()

    def run_job(self, name: str, *extra_args: str, timeout: float = 120.0) -> str:
        """A Job's container to completion in a host of its own; its output."""
        (container,) = [c for c in self.workloads[name] if not c.name.startswith("init")]
        host = self.network.add_host(f"job-{name}-{uuid.uuid4().hex[:4]}")
        try:
            args = [*container.args, *extra_args] if extra_args else container.args
            result = subprocess.run(
                host.command(*self._entrypoint(container.env, args)), env=self._process_env(container.env),
                cwd=self._pod_folder(host.name), capture_output=True, text=True, timeout=timeout)
        finally:
            self.network.remove_host(host.name)
        if result.returncode != 0:
            raise RuntimeError(f"job {name} failed ({result.returncode}): {result.stderr[-2000:]}")
        return result.stdout

    def migrate(self) -> None:
        for name in self.workloads:
            if name.endswith("-migrate"):
                self.run_job(name)

    # --- pods -----------------------------------------------------------------------------------

    def start_pod(self, workload: str, *, env: dict[str, str] | None = None, wait: bool = True) -> Pod:
        container = self.workloads[workload][-1]
        index = 1 + max((p.index for p in self.pods.values() if p.workload == workload), default=0)
        host = self.network.add_host(f"{workload}-{index}")
        pod_env = {**container.env, **(env or {})}
        pod_env = self._mount_secrets(host.name, container.files, pod_env)
        log = self.folder / f"{workload}-{index}.log"
        process = subprocess.Popen(
            host.command(*self._entrypoint(pod_env, container.args)), env=self._process_env(pod_env),
            cwd=self._pod_folder(host.name), stdout=log.open("ab"), stderr=subprocess.STDOUT)
        pod = Pod(workload, index, host, process, log, pod_env)
        self.pods[pod.name] = pod
        if wait:
            self.wait_ready(pod)
        return pod

    def wait_ready(self, pod: Pod, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready(pod):
            if pod.process.poll() is not None:
                raise RuntimeError(f"{pod.name} exited ({pod.process.returncode}):\n{self.log_tail(pod)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{pod.name} not ready within {timeout:.0f} s:\n{self.log_tail(pod)}")
            time.sleep(0.3)
        pod.in_service = True
        if pod.workload in BACKENDS:
            self.dns.add(f"{pod.workload}-headless", pod.address)

    def ready(self, pod: Pod) -> bool:
        if pod.workload == "gateway":
            try:
                return httpx.get(f"http://{pod.address}:{pod.port('GATEWAY_PORT')}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False
        return health(pod.address, pod.port(f"{pod.workload.upper()}_HEALTH_PORT")) == "SERVING"

    def channel_as_gateway(self, address: str, service: str) -> grpc.Channel:
        """A channel to ``address`` as the gateway calls it: mutual TLS with the certificate of the
        gateway's Secret, expecting the certificate of ``service``."""
        mtls = self.secrets["tqr-mtls-gateway"]
        credentials = grpc.ssl_channel_credentials(mtls["ca.crt"].encode(), mtls["tls.key"].encode(),
                                                   mtls["tls.crt"].encode())
        return grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", service)])

    def signed_as_gateway(self, actor: Actor) -> tuple[tuple[str, bytes], ...]:
        """``actor`` signed with the key the operator put into the gateway's Secret."""
        signer = ActorSigner.from_setting(self.secrets["tqr-gateway"]["GATEWAY_ACTOR_SIGNING_KEYS"])
        return signer.metadata_for(actor, "harness-session")

    def stop_pod(self, pod: Pod, *, grace: float = 60.0, kill: bool = False, endpoints_lag: float = 0.0) -> int:
        """The pod deleted as Kubernetes does it; its exit code.

        At the same moment its removal from the Service's endpoints starts (it reaches DNS and the
        ingress ``endpoints_lag`` seconds later) and its ``preStop`` hook runs (a ``sleep`` is
        played); SIGTERM follows the hook (SIGKILL at once with ``kill``).
        """
        pre_stop = 0.0 if kill else self._pre_stop_seconds(pod)
        events = sorted([(endpoints_lag, "withdraw"), (pre_stop, "signal")])
        started = time.monotonic()
        for at, what in events:
            time.sleep(max(0.0, started + at - time.monotonic()))
            if what == "withdraw":
                self.withdraw(pod)
            elif pod.process.poll() is None:
                pod.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        return self._reap(pod, grace)

    def _reap(self, pod: Pod, grace: float) -> int:
        """Wait for the pod's process (SIGKILL after ``grace``), then take its host away."""
        try:
            code = pod.process.wait(grace)
        except subprocess.TimeoutExpired:
            pod.process.kill()
            code = pod.process.wait()
        self.pods.pop(pod.name, None)
        self.network.remove_host(pod.host.name)
        return code

    def _pre_stop_seconds(self, pod: Pod) -> float:
        spec = self.workloads[pod.workload][-1].spec
        return float(spec.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0))

    def withdraw(self, pod: Pod) -> None:
        pod.withdrawn = True
        if pod.workload in BACKENDS:
            self.dns.remove(f"{pod.workload}-headless", pod.address)

    def gateway_addresses(self) -> list[str]:
        """What the ingress sends to: every ready gateway pod not withdrawn."""
        return [f"{p.address}:{p.port('GATEWAY_PORT')}" for p in list(self.pods.values())
                if p.workload == "gateway" and p.in_service and not p.withdrawn]

    def pods_of(self, workload: str) -> list[Pod]:
        return [p for p in self.pods.values() if p.workload == workload]

    def log_tail(self, pod: Pod, characters: int = 3000) -> str:
        return pod.log.read_text(errors="replace")[-characters:]

    def metrics(self, pod: Pod) -> str:
        port = pod.port("GATEWAY_METRICS_PORT" if pod.workload == "gateway" else f"{pod.workload.upper()}_METRICS_PORT")
        return httpx.get(f"http://{pod.address}:{port}/metrics", timeout=5).text

    # --- tear-down ------------------------------------------------------------------------------

    def close(self) -> None:
        # The whole system goes at once, its data with it: nothing is routed to the pods any more
        # and nobody checks how they stop (stop_pod does that where a test asks), so they are
        # killed. SIGTERM waited out each service's drain, ten seconds per test module.
        pods = list(self.pods.values())
        for pod in pods:
            with contextlib.suppress(Exception):
                if pod.process.poll() is None:
                    pod.process.kill()
        for pod in pods:
            with contextlib.suppress(Exception):
                self._reap(pod, grace=10)
        if self._forwarder is not None:
            self._forwarder.kill()
            self._forwarder.wait()
        steps = {
            "pooler": self.pooler.stop,
            "databases": lambda: [psql(f'DROP DATABASE IF EXISTS "{real}" WITH (FORCE)')
                                  for real in self.infra.databases.values()],
            "amqp_users": lambda: self.broker_users("--delete"),
            "vhost": lambda: rabbitmqctl("delete_vhost", self.infra.vhost),
            "redis_user": lambda: (redis_cli("ACL", "DELUSER", self.infra.redis_user),
                                   redis_cli("-n", str(self.infra.redis_db), "FLUSHDB")),
            "dns": self.dns.stop,
            "network": self.network.close,
        }
        for step in reversed(self._started):
            with contextlib.suppress(Exception):
                steps[step]()
        self._redis_claim.release()
        # The pods' logs have been read into any failing test's report by now; the Secrets'
        # files are keys.
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- helpers --------------------------------------------------------------------------------

    def _pod_folder(self, name: str) -> Path:
        folder = self.folder / "pods" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _mount_secrets(self, pod_name: str, files: dict[str, dict[str, str]], env: dict[str, str]) -> dict[str, str]:
        """What the kubelet does for a Secret volume: its keys as files, here in the pod's folder; the
        environment's paths into the mount (as the manifests give them) then point there."""
        for mount_path, contents in files.items():
            folder = self._pod_folder(pod_name) / "mounts" / mount_path.strip("/")
            folder.mkdir(parents=True, exist_ok=True)
            for name, content in contents.items():
                (folder / name).write_text(content)
                (folder / name).chmod(0o400)
            env = {key: (str(folder) + value[len(mount_path):] if value.startswith(mount_path + "/") else value)
                   for key, value in env.items()}
        return env

    @staticmethod
    def _entrypoint(env: dict[str, str], args: list[str]) -> list[str]:
        """What the image's entrypoint runs: ``python -m tqr_$TQR_SERVICE <args>``."""
        return [sys.executable, "-m", f"tqr_{env['TQR_SERVICE']}", *(args or ["serve"])]

    @staticmethod
    def _process_env(env: dict[str, str]) -> dict[str, str]:
        """The container's environment plus what the image itself sets (PATH, Python's options)."""
        image = {k: v for k, v in os.environ.items()
                 if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE", "TZ")}
        return {**image, "PYTHONUNBUFFERED": "1", **env}


def health(address: str, port: int, service: str = "", timeout: float = 2.0) -> str:
    """The gRPC health status name of ``service`` at ``address:port`` (or the error's code)."""
    try:
        with grpc.insecure_channel(f"{address}:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service),
                                                              timeout=timeout)
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
    except grpc.RpcError as error:
        return str(error.code().name)


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def redis_cli(*args: str) -> str:
    result = subprocess.run(["redis-cli", "-h", "127.0.0.1", *args], check=True, capture_output=True,
                            text=True, timeout=10)
    return result.stdout
