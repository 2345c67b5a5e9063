"""Helpers for tests that use the real PostgreSQL, Redis and RabbitMQ of the machine.

Every helper makes something of its own (a database, a vhost, a key prefix) and removes it
afterwards, so runs never see each other's data and repeat cleanly. The pytest fixtures built on
them live in ``testkit.fixtures`` (registered for the whole repository by its conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
from servicekit import broker_users
from servicekit.bus.access import ROLES, role
from servicekit.bus.topology import Topology

PG_ADMIN_URL = os.environ.get("TQR_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("TQR_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")
REDIS_URL = os.environ.get("TQR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def postgres_database(prefix: str = "tqr_test") -> AsyncIterator[str]:
    """A fresh PostgreSQL database; yields its URL and drops it afterwards."""
    name = unique(prefix)
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _rabbitmqctl_command() -> list[str]:
    return [shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"]


def _rabbitmqctl(*args: str) -> None:
    subprocess.run([*_rabbitmqctl_command(), "-q", *args], check=True, capture_output=True, timeout=60)  # noqa: S603


@contextmanager
def rabbitmq_vhost(prefix: str = "tqr-test") -> Iterator[str]:
    """A fresh RabbitMQ vhost (guest has every permission); yields its AMQP URL.

    Blocking on purpose: it is made once per test session, outside any event loop. Users named
    ``<vhost>-…`` (``broker_logins``, ``make run`` on this vhost) are removed with it: users are
    global to the broker, and one left behind by a killed run would stay for good."""
    name = unique(prefix)
    _rabbitmqctl("add_vhost", name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield f"{AMQP_BASE}/{name}"
    finally:
        _rabbitmqctl("delete_vhost", name)
        _delete_users_named(f"{name}-")


def _delete_users_named(prefix: str) -> None:
    users = [user for user in broker_users.users() if user.startswith(prefix)]
    broker_users.delete(users, _rabbitmqctl_command())


@contextmanager
def broker_logins(amqp_url: str, topology: Topology, roles: Iterable[str] | None = None) -> Iterator[dict[str, str]]:
    """Each role of the bus table (``servicekit.bus.access``) its own user on ``amqp_url``'s vhost,
    made by ``servicekit.broker_users`` as ``make run`` makes them; yields role → AMQP URL and
    deletes the users afterwards. Blocking (rabbitmqctl)."""
    vhost = broker_users.vhost_of(amqp_url)
    tag = uuid.uuid4().hex[:8]
    logins = [broker_users.Login(role(name), f"{vhost}-{tag}-{name}", uuid.uuid4().hex, vhost)
              for name in (roles if roles is not None else [r.name for r in ROLES])]
    rabbitmqctl = _rabbitmqctl_command()
    broker_users.apply(logins, topology, rabbitmqctl)
    try:
        yield {login.role.name: broker_users.url_for(amqp_url, login) for login in logins}
    finally:
        broker_users.delete([login.user for login in logins], rabbitmqctl)


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` (sync or async) until it returns a truthy value."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)
