"""The whole system started exactly as `make run` starts it (tools/devrun.py), once per test run.

It gets its own folder for databases and logs, its own ports, its own RabbitMQ vhost and queue
names, so it never meets a developer's running copy or another run's data.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RunningSystem:
    url: str
    var: Path
    port_offset: int
    output: Path

    def logs(self, prefix: str) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted((self.var / "log").glob(f"{prefix}-*.log")))


@pytest.fixture(scope="session")
def running_system(amqp_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    var = tmp_path_factory.mktemp("system")
    offset = 1000 + (os.getpid() % 50) * 10  # away from make run's ports
    output = var / "run.out"
    env = {
        **os.environ,
        "TQR_VAR_DIR": str(var),
        "TQR_PORT_OFFSET": str(offset),
        "TQR_AMQP_URL": amqp_url,
        "TQR_QUEUE_PREFIX": f"e2e{os.getpid()}.",
        "TQR_REDIS_URL": "redis://127.0.0.1:6379/2",
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
