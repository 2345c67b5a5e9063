"""``python -m tqr_<service> serve`` runs the service on uvloop, the loop the gateway's uvicorn runs
(tools/loadtest/README.md, "The services' event loop", has the benchmark that chose it).

Run in a child process: ``serve`` tunes the collector for a long-lived service (gc.freeze), which is
not for the test process to inherit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import asyncio, os, signal
    from pathlib import Path
    from servicekit import cli
    from servicekit.service_settings import ServiceSettings

    class Host:
        async def start(self):
            print(type(asyncio.get_running_loop()).__module__, flush=True)
            os.kill(os.getpid(), signal.SIGTERM)  # the way a service is told to stop

        async def stop(self):
            print("stopped", flush=True)

    raise SystemExit(cli.main(service="shop", load_settings=ServiceSettings, build_host=lambda s: Host(),
                              migrations_dir=Path("."), argv=["serve"]))
""")


def test_serve_runs_the_service_on_uvloop_and_stops_on_sigterm() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60,
                          env={"TQR_ENVIRONMENT": "development", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["uvloop", "stopped"], done.stdout + done.stderr
