"""The many-hosts harness (tests/cluster/system.py): one cluster per test module, as root."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from testkit.service_logs import warnings_logged

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


# A failure here is often a few refusals among thousands of requests while pods come and go: a
# failing test's report carries what every pod (those already stopped too) logged at warning level.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    system = getattr(item, "funcargs", {}).get("cluster")
    if report.when == "call" and report.failed and isinstance(system, Cluster):
        logs = [(log.stem, log) for log in sorted(system.folder.glob("*.log"))]
        report.sections.append(("the pods' last warnings and errors", warnings_logged(logs)))
