"""Fixtures shared by every test: real PostgreSQL, RabbitMQ and Redis, each isolated per test run."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from servicekit import testing


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """A RabbitMQ vhost of this test run; queues inside it are named per test."""
    name = testing.unique("tqr-test")
    ctl = ["rabbitmqctl", "-q"]
    subprocess.run([*ctl, "add_vhost", name], check=True, capture_output=True, timeout=60)
    subprocess.run([*ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True, timeout=60)
    yield f"{testing.AMQP_BASE}/{name}"
    subprocess.run([*ctl, "delete_vhost", name], capture_output=True, timeout=60)


@pytest.fixture
def queue_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with testing.postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'service.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Runs the test once on SQLite (the embedded default) and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.sqlite3'}"
    else:
        async with testing.postgres_database() as url:
            yield url


@pytest.fixture
def redis_prefix() -> str:
    return f"tqr-test:{uuid.uuid4().hex[:12]}:"
