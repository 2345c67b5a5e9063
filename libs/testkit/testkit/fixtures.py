"""The pytest fixtures every test folder shares: the machine's real PostgreSQL, RabbitMQ and Redis,
each isolated so that tests and runs never see each other's data.

One plugin for the whole repository: the root ``conftest.py`` names it in ``pytest_plugins``, so
``tests/`` and every ``services/*/tests`` get the same fixtures, also when one service's tests run
alone. A folder's own conftest.py keeps only what is particular to it.

- ``amqp_url``: one RabbitMQ vhost for the run; each test names its own exchange and queues with
  ``queue_prefix``.
- ``pg_url``: a fresh PostgreSQL database, dropped after the test.
- ``sqlite_url``: a SQLite file in the test's ``tmp_path``.
- ``db_url``: runs the test twice, on SQLite (the embedded default) and on PostgreSQL.
- ``redis_prefix``: a Redis key prefix ending in ``:``; its keys are deleted after the test.
- ``service_tls``: a development CA and a certificate per service (servicekit.devpki), once per run:
  service name → ``TlsFiles``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from servicekit import devpki
from servicekit.rpc.tls import TlsFiles

import testkit


@pytest.fixture(scope="session")
def service_tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TlsFiles]:
    return devpki.ensure(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """Made once per run: creating a vhost takes rabbitmqctl about a second."""
    with testkit.rabbitmq_vhost() as url:
        yield url


@pytest.fixture
def queue_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with testkit.postgres_database() as url:
        yield url


def _sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'service.sqlite3'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return _sqlite_url(tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
    else:
        async with testkit.postgres_database() as url:
            yield url


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    prefix = f"tqr-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    # Runs after every fixture that uses the prefix has stopped its hosts and closed its clients.
    client = redis.Redis.from_url(testkit.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
