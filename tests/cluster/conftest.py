"""The many-hosts harness (tests/cluster/system.py): one cluster per test module, as root."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cluster.network import can_create_namespaces
from tests.cluster.system import Cluster


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/cluster/" in str(item.fspath):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from running_cluster("prod")


def running_cluster(overlay: str) -> Iterator[Cluster]:
    """The overlay's system brought up and migrated for a module, taken down afterwards."""
    reason = can_create_namespaces()
    if reason:
        pytest.skip(reason)
    system = Cluster(overlay)
    try:
        system.start()
        system.migrate()
        yield system
    finally:
        system.close()
