"""RabbitMQ and Redis as the load test and the fault tests need them.

- ``add_vhost`` / ``delete_vhost``: a vhost per run on a node (``rabbitmqctl -n``).
- ``PrivateRabbit``: a RabbitMQ node of the test's own (own node name, port, data folder), so a
  fault test can restart "the broker" with ``rabbitmqctl stop_app`` / ``start_app`` without
  disturbing anything else that uses the machine's broker.
- ``PrivateRedis``: the same for Redis (``redis-cli shutdown nosave`` and the start command of CI).

Restarting is always undone in ``finally`` by the callers, and ``start`` waits until the server
answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools import devrun


def _rabbitmqctl(node: str, *args: str, timeout: float = 90) -> str:
    command = [*devrun.rabbitmqctl(node), "-q", *args]
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)  # noqa: S603
    return done.stdout


async def add_vhost(name: str, node: str = "") -> str:
    await asyncio.to_thread(_rabbitmqctl, node, "add_vhost", name)
    await asyncio.to_thread(_rabbitmqctl, node, "set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name


async def delete_vhost(name: str, node: str = "") -> None:
    with contextlib.suppress(subprocess.SubprocessError):
        await asyncio.to_thread(_rabbitmqctl, node, "delete_vhost", name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class PrivateRabbit:
    """A RabbitMQ node of its own on a free port; ``stop_app``/``start_app`` restart it in place."""

    node: str
    port: int
    folder: Path

    @classmethod
    def create(cls) -> PrivateRabbit:
        tag = uuid.uuid4().hex[:8]
        return cls(f"tqrlt{tag}@localhost", free_port(), Path(f"/tmp/tqr-rabbit-{tag}"))  # noqa: S108

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[PrivateRabbit]:
        """A node started for the block and removed after it."""
        rabbit = cls.create()
        try:
            rabbit.start_node()
            yield rabbit
        finally:
            rabbit.stop_node()

    @property
    def amqp_base(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}"

    def start_node(self, extra_config: str = "", files: dict[str, str] | None = None) -> None:
        """Start the node; ``extra_config`` is added to its rabbitmq.conf, ``files`` (name → text)
        are written into its folder first (a definitions file the config names, say)."""
        (self.folder / "mnesia").mkdir(parents=True, exist_ok=True)
        (self.folder / "log").mkdir(parents=True, exist_ok=True)
        for name, text in (files or {}).items():
            (self.folder / name).write_text(text)
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n{extra_config}")
        (self.folder / "enabled_plugins").write_text("[].\n")
        shutil.chown(self.folder, "rabbitmq", "rabbitmq")
        for path in self.folder.rglob("*"):
            shutil.chown(path, "rabbitmq", "rabbitmq")
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.folder / "pid"),
        }
        tool = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
        subprocess.run([tool, "-detached"], env=env, check=True, capture_output=True, timeout=60)  # noqa: S603
        self._await_startup(90)

    def _await_startup(self, timeout: float) -> None:
        """``await_startup`` needs the node's Erlang VM to be reachable first: ask until it is."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                _rabbitmqctl(self.node, "await_startup", "--timeout", "60", timeout=90)
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    log = "\n".join(p.read_text(errors="replace")[-2000:] for p in (self.folder / "log").glob("*.log"))
                    raise RuntimeError(f"RabbitMQ node {self.node} did not start:\n{log}") from None
                time.sleep(0.5)

    def stop_node(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            _rabbitmqctl(self.node, "stop", timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)

    async def stop_app(self) -> None:
        await asyncio.to_thread(_rabbitmqctl, self.node, "stop_app")

    async def start_app(self) -> None:
        await asyncio.to_thread(_rabbitmqctl, self.node, "start_app")
        await asyncio.to_thread(self._await_startup, 60)
        await wait_until(lambda: _answers(self.port), 60, "RabbitMQ to answer again")


@dataclass
class PrivateRedis:
    """A Redis of its own, started with the options of the CI's Redis (no persistence)."""

    port: int
    folder: Path

    @classmethod
    def create(cls) -> PrivateRedis:
        return cls(free_port(), Path(f"/tmp/tqr-redis-{uuid.uuid4().hex[:8]}"))  # noqa: S108

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port),
                   "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                   "--logfile", str(self.folder / "redis.log")]
        await asyncio.to_thread(subprocess.run, command, check=True, capture_output=True, timeout=30)
        await wait_until(lambda: _answers(self.port), 30, "Redis to answer")

    async def shutdown(self) -> None:
        command = ["redis-cli", "-p", str(self.port), "shutdown", "nosave"]
        await asyncio.to_thread(subprocess.run, command, capture_output=True, timeout=30)
        await wait_until(lambda: not _answers(self.port), 30, "Redis to stop")

    async def remove(self) -> None:
        if _answers(self.port):
            await self.shutdown()
        shutil.rmtree(self.folder, ignore_errors=True)


async def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)
