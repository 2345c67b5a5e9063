"""PgBouncer in transaction mode in front of this machine's PostgreSQL, as production reaches its
database through a pooler. The services connect to it by the host name and credentials of the
filled Secrets; it maps each database name they use to the test's own database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PGBOUNCER = "/usr/sbin/pgbouncer"
SERVER: dict[str, str | int] = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def psql(sql: str) -> str:
    """One statement as the machine's PostgreSQL superuser; its single value."""
    result = subprocess.run(["psql", "-h", SERVER["host"], "-p", str(SERVER["port"]), "-U", SERVER["user"],
                             "-d", "postgres", "-Atqc", sql], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@dataclass
class PoolerDatabase:
    name: str  # as the services ask for it
    real_name: str  # the test's database on the machine's PostgreSQL
    user: str
    password: str


class Pooler:
    def __init__(self, listen: str, port: int, databases: list[PoolerDatabase], *, pool_size: int,
                 max_client_conn: int) -> None:
        self.listen, self.port = listen, port
        self.databases = databases
        self.pool_size, self.max_client_conn = pool_size, max_client_conn
        # PgBouncer refuses to run as root; its files must be readable by the user it runs as. Made
        # by ``start``: a cluster closed before its pooler started leaves no folder behind.
        self.folder = Path(tempfile.gettempdir()) / f"tqr-pgbouncer-{uuid.uuid4().hex[:8]}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "pgbouncer.log"

    def start(self) -> None:
        self.folder.mkdir()
        users = {(d.user, d.password) for d in self.databases}
        (self.folder / "users.txt").write_text("".join(f'"{u}" "{p}"\n' for u, p in sorted(users)))
        databases = "".join(
            f"{d.name} = host={SERVER['host']} port={SERVER['port']} dbname={d.real_name} user={SERVER['user']}\n"
            for d in self.databases)
        (self.folder / "pgbouncer.ini").write_text(
            "[databases]\n" + databases + "\n[pgbouncer]\n"
            f"listen_addr = {self.listen}\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = scram-sha-256\nauth_file = {self.folder / 'users.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {self.pool_size}\nmin_pool_size = 0\n"
            f"max_client_conn = {self.max_client_conn}\n"
            f"logfile = {self.log}\npidfile =\nadmin_users = {sorted(users)[0][0]}\n"
            "ignore_startup_parameters = extra_float_digits,options\n")
        os.chmod(self.folder, 0o755)
        for path in self.folder.iterdir():
            os.chmod(path, 0o644)
        self.log.touch()
        shutil.chown(self.log, "postgres")
        self.resume()

    def resume(self) -> None:
        """Start (again) with the files written by ``start``."""
        self.process = subprocess.Popen([PGBOUNCER, "-u", "postgres", str(self.folder / "pgbouncer.ini")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_until_listening()

    def kill(self) -> None:
        """The pooler gone at once, its connections with it: the database is away for the services."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def server_connections(self, database: str | None = None) -> int:
        """Connections PostgreSQL has open right now to the pooler's databases (or to the one the
        services call ``database``)."""
        names = ",".join(f"'{d.real_name}'" for d in self.databases if database in (None, d.name))
        return int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname IN ({names})"))

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _wait_until_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log.read_text(errors='replace')[-1500:]}")
            try:
                with socket.create_connection((self.listen, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pgbouncer did not start listening")
