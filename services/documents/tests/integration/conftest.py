"""The machine's real PostgreSQL and RabbitMQ, isolated per run (the same fixtures as tests/conftest.py,
which pytest does not apply to this folder)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from servicekit import testing


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """One RabbitMQ vhost for the run; each test names its own exchange and queues (queue_prefix)."""
    name = testing.unique("tqr-documents-test")
    ctl = ["rabbitmqctl", "-q"]
    subprocess.run([*ctl, "add_vhost", name], check=True, capture_output=True, timeout=60)
    subprocess.run([*ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True, timeout=60)
    yield f"{testing.AMQP_BASE}/{name}"
    subprocess.run([*ctl, "delete_vhost", name], capture_output=True, timeout=60)


@pytest.fixture
def queue_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test runs once on SQLite (the embedded default) and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'documents.sqlite3'}"
    else:
        async with testing.postgres_database("tqr_documents_test") as url:
            yield url
