"""A real PgBouncer in front of the machine's PostgreSQL, for integration tests.

The test starts the Debian package's ``pgbouncer`` itself (tools/ensure-system-packages.sh installs
it) with a configuration of its own: it listens on 127.0.0.1 on a free port and passes every
database name through (``* =``, as CloudNativePG's Pooler does) to the server the given URL names.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from testkit import free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
START_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class PgBouncer:
    url: str  # the same database, through the pooler
    pool_size: int  # server connections PgBouncer may open per database and user
    log: Path


@contextmanager
def pgbouncer(database_url: str, directory: Path, *, pool_size: int, pool_mode: str = "transaction",
              max_client_conn: int = 500) -> Iterator[PgBouncer]:
    """PgBouncer for the database ``database_url`` names; stopped (SIGTERM) afterwards."""
    target = make_url(database_url)
    user = target.username or "postgres"
    port = free_port()
    config = directory / "pgbouncer.ini"
    users = directory / "userlist.txt"
    log = directory / "pgbouncer.log"
    users.write_text(f'"{user}" ""\n', encoding="utf-8")
    config.write_text("\n".join([
        "[databases]",
        f"* = host={target.host or '127.0.0.1'} port={target.port or 5432}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        # The machine's PostgreSQL trusts local connections; PgBouncer still wants the user listed.
        "auth_type = trust",
        f"auth_file = {users}",
        f"pool_mode = {pool_mode}",
        f"default_pool_size = {pool_size}",
        "reserve_pool_size = 0",
        f"max_client_conn = {max_client_conn}",
        "",
    ]), encoding="utf-8")
    # PgBouncer refuses to run as root; it reads its files first, then switches user.
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    with log.open("wb") as output:
        process = subprocess.Popen([PGBOUNCER, *as_user, str(config)], stdout=output,  # noqa: S603
                                   stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(process, port, log)
        yield PgBouncer(url=target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False),
                        pool_size=pool_size, log=log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited at start: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen on port {port} within {START_TIMEOUT_SECONDS} s")
