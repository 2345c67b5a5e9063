"""A database outage longer than the liveness probe's patience: liveness stays SERVING (a restart
would not bring the database back, and every pod restarting at once turns an outage into a storm),
readiness says NOT_SERVING meanwhile, and each service recovers by itself when the database is back.

The outage is the pooler going away (every connection cut, new ones refused), as when the
database's primary fails over.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.cluster.system import Cluster, health

# beside: two minutes of waiting on a cluster of its own (network, databases, vhost, Redis database).
pytestmark = pytest.mark.beside

OUTAGE_SECONDS = 120.0  # the probes give up after 6 × 10 s; twice that
POLL_SECONDS = 5.0
LIVENESS = "liveness"
BACKENDS = ("identity", "application", "notification", "documents")


@pytest.fixture(scope="module")
def system(cluster: Cluster) -> Cluster:
    for workload in (*BACKENDS, "gateway"):
        cluster.start_pod(workload)
    return cluster


def _statuses(system: Cluster) -> dict[str, tuple[str, str]]:
    """Per backend pod: (liveness, readiness)."""
    result = {}
    for service in BACKENDS:
        (pod,) = system.pods_of(service)
        port = pod.port(f"{service.upper()}_HEALTH_PORT")  # the kubelet's probes: plain gRPC, health only
        result[service] = (health(pod.address, port, LIVENESS), health(pod.address, port, ""))
    return result


def test_a_two_minute_database_outage_keeps_pods_alive_and_they_recover_by_themselves(system: Cluster) -> None:
    pods_before = {p.name: p.process.pid for p in system.pods.values()}
    assert all(s == ("SERVING", "SERVING") for s in _statuses(system).values()), _statuses(system)

    system.pooler.kill()
    seen = []
    try:
        ends = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < ends:
            time.sleep(POLL_SECONDS)
            seen.append(_statuses(system))
    finally:
        system.pooler.resume()

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(s[1] == "SERVING" for s in _statuses(system).values()):
        time.sleep(1)
    (gateway,) = system.gateway_addresses()
    answer = httpx.get(f"http://{gateway}/api/v1/authorities", timeout=10)

    print(f"\nduring the outage (liveness, readiness) every {POLL_SECONDS:.0f} s: {seen[:3]} …")
    assert all(s[0] == "SERVING" for sample in seen for s in sample.values()), seen
    assert all(s[1] == "NOT_SERVING" for s in seen[-1].values()), seen[-1]
    assert _statuses(system) == {s: ("SERVING", "SERVING") for s in BACKENDS}
    assert answer.status_code == 200, answer.text
    assert {p.name: p.process.pid for p in system.pods.values()} == pods_before
    assert all(p.process.poll() is None for p in system.pods.values())
