"""One copy of the whole system for the load harness and fault tests (tools/loadtest).

It runs on PostgreSQL (as in production), on a RabbitMQ node and a Redis of its own (started here
with the machine's binaries and CI's options), so restarting "the broker" or "Redis" disturbs no
other test and no developer's `make run`. Every fault is undone in ``finally`` and each restart
waits until the server answers again; the node and Redis are removed at the end.

The system is shared by the tests of this folder (they run one after another); each test prepares
its own applicants, so one test's data never counts in another's audit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from testkit.service_logs import warnings_logged

from tools.loadtest.broker import PrivateRabbit, PrivateRedis
from tools.loadtest.system import Options, System, start_system, stop_system

# A short lease, so a delivery claimed by a killed notification process is taken over within the
# test (and a second send, if the service ever made one, would show in the outbox).
CHAOS_ENV = {
    "NOTIFICATION_DISPATCH_LEASE_SECONDS": "5",
    "NOTIFICATION_RETRY_BASE_SECONDS": "0.5",
    "NOTIFICATION_RETRY_CAP_SECONDS": "2",
    "IDENTITY_SHUTDOWN_GRACE_SECONDS": "3",
    "APPLICATION_SHUTDOWN_GRACE_SECONDS": "3",
    "NOTIFICATION_SHUTDOWN_GRACE_SECONDS": "3",
    "DOCUMENTS_SHUTDOWN_GRACE_SECONDS": "3",
}


@pytest.fixture(scope="session")
def private_rabbit() -> Iterator[PrivateRabbit]:
    with PrivateRabbit.running() as rabbit:
        yield rabbit


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis.create()
    try:
        asyncio.run(redis.start())
        yield redis
    finally:
        asyncio.run(redis.remove())


@pytest.fixture(scope="session")
def chaos_system(private_rabbit: PrivateRabbit, private_redis: PrivateRedis) -> Iterator[System]:
    options = Options(amqp_base=private_rabbit.amqp_base, rabbit_node=private_rabbit.node,
                      redis_url=private_redis.url, extra_env=CHAOS_ENV)
    system = asyncio.run(start_system(options))
    try:
        yield system
    finally:
        asyncio.run(stop_system(system))


# A failure here is often one refusal among thousands of requests (a 503 at a sign-in): a failing
# test's report carries the services' last warnings and errors.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    system = getattr(item, "funcargs", {}).get("chaos_system")
    if report.when == "call" and report.failed and isinstance(system, System):
        logs = [(service.name, service.log) for service in system.services]
        report.sections.append(("the services' last warnings and errors", warnings_logged(logs)))
