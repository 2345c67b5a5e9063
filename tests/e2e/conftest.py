"""The whole system started exactly as `make run` starts it (tools/devrun.py), once per test run.

It gets its own folder for databases and logs, its own ports, its own RabbitMQ vhost and queue
names and its own Redis key prefixes, so it never meets a developer's running copy or another run's
data (nor its counters: the identity service caps codes per client per day).
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e import grpc_channel

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/2"


@dataclass
class RunningSystem:
    url: str
    var: Path
    port_offset: int
    output: Path

    def logs(self, prefix: str) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted((self.var / "log").glob(f"{prefix}-*.log")))


# The offsets a test copy of the system may take (multiples of 1000, so two runs never interleave):
# up to 9000, so that every port stays below the kernel's ephemeral range (tools/devrun).
PORT_OFFSETS = range(1000, 10000, 1000)


def free_port_offset(replicas: int = 3) -> int:
    """A TQR_PORT_OFFSET (a multiple of 1000, so two runs never interleave) whose ports are all free."""
    from tools import devrun

    candidates = list(PORT_OFFSETS)
    random.shuffle(candidates)
    for offset in candidates:
        ports = [devrun.GATEWAY_PORT + offset, devrun.GATEWAY_METRICS_PORT + offset, devrun.SMTP_SINK_PORT + offset]
        for service in devrun.BACKENDS:
            ports += [devrun.grpc_port(service, i, offset) for i in range(replicas)]
            ports += [devrun.metrics_port(service, i, offset) for i in range(replicas)]
        if all(_bindable(port) for port in ports):
            return offset
    raise RuntimeError("no free set of ports for a test system")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session")
def running_system(amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    var = tmp_path_factory.mktemp("system")
    grpc_channel.use(var / "tls")  # the certificates devrun then finds and uses
    offset = free_port_offset()
    redis_tag = f"tqr-e2e-{os.getpid()}-{random.randrange(16**6):06x}"
    output = var / "run.out"
    env = {
        **os.environ,
        "TQR_VAR_DIR": str(var),
        "TQR_PORT_OFFSET": str(offset),
        "TQR_AMQP_URL": amqp_url,
        "TQR_QUEUE_PREFIX": f"e2e{os.getpid()}.",
        "TQR_REDIS_URL": REDIS_URL,
        "IDENTITY_REDIS_KEY_PREFIX": f"{redis_tag}:identity",
        "NOTIFICATION_REDIS_KEY_PREFIX": f"{redis_tag}:notification",
        "GATEWAY_REDIS_KEY_PREFIX": f"{redis_tag}:gateway",
        # Every browser test loads its pages from 127.0.0.1, and each sign-in or registration page
        # is issued a human check: the whole run is one client to identity's per-client issue limit.
        "IDENTITY_HUMAN_CHECK_ISSUES_PER_CLIENT": "2000",
        # Likewise the gateway's per-address limits: the demo staff sign in from 127.0.0.1 in test
        # after test, past staff sign-in's 20 per 5 minutes (the limits themselves are tested in the
        # gateway's unit tests and tests/cluster/test_client_address.py).
        "GATEWAY_RATE_LIMIT_FACTOR": "10",
        "PYTHONUNBUFFERED": "1",
    }
    with output.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "tools.devrun"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = ""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not url:
        found = re.search(r"http://[A-Za-z0-9.:_/-]+", output.read_text(errors="replace"))
        if found:
            url = found.group(0).rstrip("/")
        elif process.poll() is not None:
            break
        time.sleep(0.5)
    if not url:
        process.kill()
        pytest.fail("the system did not start:\n" + output.read_text(errors="replace")[-3000:])
    try:
        yield RunningSystem(url, var, offset, output)
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        finally:
            _forget_redis_keys(f"{redis_tag}:*")


def _forget_redis_keys(pattern: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)
    finally:
        client.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that add reference data to the one running system (a new authority, a new subject)
    run last, so no other test meets lists longer than the demo world it was written against."""
    items.sort(key=lambda item: item.get_closest_marker("adds_reference_data") is not None)
