"""`make run` while something holds one of its ports: it says which port and starts nothing.

Before, a second copy started beside the first: its health check reached the first copy's gateway,
so it printed "running", and then lost its own gateway (or exited half-way, having migrated and
started services).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import PORT_OFFSETS, ROOT, free_port_offset
from tools import devrun


class _AnswersLikeAGateway(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ready": true}')

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def another_gateway(port: int) -> Iterator[None]:
    """What the first copy's gateway does: answer every request, /readyz included."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _AnswersLikeAGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def a_listening_socket(port: int) -> Iterator[None]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield


def processes_of(var: Path) -> list[str]:
    """Processes whose environment names this run's folder: the services a run started."""
    marker = f"TQR_VAR_DIR={var}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(environ.parent.name)
        except OSError:
            continue
    return found


def run_devrun(env: dict[str, str]) -> tuple[int | None, str, str]:
    """``python -m tools.devrun`` until it exits; one that comes up anyway (it should not) gets
    Ctrl-C after a while, so neither it nor its services outlive the test."""
    devrun_process = subprocess.Popen([sys.executable, "-m", "tools.devrun"], cwd=ROOT, env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        stdout, stderr = devrun_process.communicate(timeout=120)
        return devrun_process.returncode, stdout, stderr
    except subprocess.TimeoutExpired:
        os.killpg(devrun_process.pid, signal.SIGINT)
        stdout, stderr = devrun_process.communicate(timeout=60)
        return None, stdout, stderr + "\n(still running after 120 s: stopped with Ctrl-C)"


HOLDERS: dict[str, tuple[str, Callable[[int], int], Callable[[int], AbstractContextManager[None]]]] = {
    # what devrun calls the port, its number at an offset, what holds it
    "gateway": ("gateway", lambda offset: devrun.GATEWAY_PORT + offset, another_gateway),
    "identity gRPC": ("identity-1 gRPC", lambda offset: devrun.grpc_port("identity", 0, offset), a_listening_socket),
    "SMTP sink": ("SMTP sink", lambda offset: devrun.SMTP_SINK_PORT + offset, a_listening_socket),
}


@pytest.mark.parametrize("held", list(HOLDERS))
def test_a_busy_port_is_named_and_nothing_starts(held: str, tmp_path: Path, amqp_url: str, queue_prefix: str,
                                                 redis_prefix: str) -> None:
    what, number_at, holder = HOLDERS[held]
    offset = free_port_offset(replicas=1)
    port = number_at(offset)
    var = tmp_path / "var"
    var.mkdir()
    env = {**os.environ, "TQR_PORT_OFFSET": str(offset), "TQR_VAR_DIR": str(var), "TQR_ENVIRONMENT": "development",
           "TQR_AMQP_URL": amqp_url, "TQR_QUEUE_PREFIX": queue_prefix,
           "IDENTITY_REDIS_KEY_PREFIX": f"{redis_prefix}identity",
           "NOTIFICATION_REDIS_KEY_PREFIX": f"{redis_prefix}notification",
           "GATEWAY_REDIS_KEY_PREFIX": f"{redis_prefix}gateway", "PYTHONUNBUFFERED": "1"}
    for name in ("TQR_REPLICAS", "GATEWAY_PORT", "NOTIFICATION_SMTP_PORT", "NOTIFICATION_DEV_SMTP_SINK"):
        env.pop(name, None)
    with holder(port):
        returncode, stdout, stderr = run_devrun(env)
    assert returncode not in (0, None), stdout + stderr
    assert f"port {port} ({what}) is already in use" in stderr
    assert "TQR_PORT_OFFSET" in stderr
    assert "running" not in stdout
    assert list(var.iterdir()) == [], "databases or logs were made: something started"
    assert processes_of(var) == []


def test_every_port_of_make_run_and_of_its_test_copies_is_below_the_ephemeral_range() -> None:
    """Outgoing connections take their local port from the ephemeral range; a server port there can
    be held by any client's connection at the moment `make run` checks it ("port 50100 is already
    in use" with nothing listening, right after make test)."""
    first_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for offset in (0, *PORT_OFFSETS):
        ports = [devrun.GATEWAY_PORT + offset, devrun.GATEWAY_METRICS_PORT + offset, devrun.SMTP_SINK_PORT + offset]
        for service in devrun.BACKENDS:
            ports += [devrun.grpc_port(service, i, offset) for i in range(3)]
            ports += [devrun.metrics_port(service, i, offset) for i in range(3)]
        assert max(ports) < first_ephemeral, (offset, max(ports), first_ephemeral)
