"""Each service's migrations build its database on SQLite and PostgreSQL, and match its tables."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from servicekit import db, migrations

SERVICES = ["identity", "application", "notification", "documents"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_build_the_schema_the_code_expects(service, db_url):
    package = importlib.import_module(f"tqr_{service}")
    orm = importlib.import_module(f"tqr_{service}.adapters.orm")
    migrations.upgrade(Path(package.__file__).parent / "migrations", db_url)
    migrations.upgrade(Path(package.__file__).parent / "migrations", db_url)  # a second run is a no-op
    engine = db.create_engine(db_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), orm.metadata)
            )
        assert diff == [], f"{service}: tables and migrations disagree: {diff}"
    finally:
        await engine.dispose()
