"""Scaling out and in under load, each replica its own host behind a real DNS name.

A replica added at a peak must take its share of calls soon (grpc's dns resolver looks names up
again only when a connection ends, so servers end connections after a maximum age); a replica
stopped or restarted must fail no request (readiness off, drain, finish what is in flight).
"""

from __future__ import annotations

import time

import pytest

from tests.cluster.load import Load, calls_served
from tests.cluster.system import Cluster, Pod

# beside: three minutes of a slow steady load on a cluster of its own (network, databases, vhost, Redis
# database) while replicas come and go; the machine is mostly idle meanwhile.
pytestmark = pytest.mark.beside

# Shares of calls a new replica served, by 10-second window after it was added; the README's
# "Running on many hosts" section quotes what these tests print.
WINDOW = 10.0
WINDOWS = 3
MIN_SHARE_BY_30_S = 0.30


@pytest.fixture(scope="module")
def system(cluster: Cluster) -> Cluster:
    for workload in ("identity", "application", "notification", "documents", "gateway", "gateway"):
        cluster.start_pod(workload)
    return cluster


# Both services are scaled in one run of the load: each test waits out its windows under it, and one
# wait serves the two services as well as two.
SCALED = ("identity", "application")


def test_a_replica_added_under_load_serves_its_share_within_30_s(system: Cluster) -> None:
    load = Load(system.gateway_addresses, rate=30).start()
    shares: dict[str, list[float]] = {service: [] for service in SCALED}
    try:
        time.sleep(5)
        pairs = {}
        for service in SCALED:
            (old,) = system.pods_of(service)
            pairs[service] = (old, system.start_pod(service))
        before = {service: _served(system, service, pods) for service, pods in pairs.items()}
        for _ in range(WINDOWS):
            time.sleep(WINDOW)
            for service, (_, new) in pairs.items():
                after = _served(system, service, pairs[service])
                served = {name: after[name] - before[service][name] for name in after}
                shares[service].append(served[new.name] / max(1.0, sum(served.values())))
                before[service] = after
        for service, service_shares in shares.items():
            print(f"\n{service}: share of calls served by the added replica per {WINDOW:.0f} s window: "
                  + ", ".join(f"{s:.0%}" for s in service_shares))
    finally:
        load.stop()
        for service in SCALED:
            if len(system.pods_of(service)) > 1:
                system.stop_pod(system.pods_of(service)[-1])
    assert not load.failures(), load.failures()[:5]
    assert all(s[-1] >= MIN_SHARE_BY_30_S for s in shares.values()), shares


def _served(system: Cluster, service: str, pods: tuple[Pod, ...]) -> dict[str, float]:
    return {p.name: calls_served(system.metrics(p), service) for p in pods}


def test_a_replica_stopped_under_load_fails_no_request(system: Cluster) -> None:
    for service in SCALED:
        system.start_pod(service)
    load = Load(system.gateway_addresses, rate=30).start()
    codes = {}
    try:
        time.sleep(5)
        for service in SCALED:
            leaving = system.pods_of(service)[0]
            codes[service] = (system.stop_pod(leaving, endpoints_lag=1.0), leaving)
        time.sleep(5)
    finally:
        load.stop()
    print(f"\n{load.count()} requests, {len(load.failures())} failed while a replica of each of "
          f"{', '.join(SCALED)} stopped")
    for code, leaving in codes.values():
        assert code == 0, system.log_tail(leaving)
    assert load.count() > 100
    assert not load.failures(), load.failures()[:5]


def test_rolling_restart_of_every_deployment_fails_no_request(system: Cluster) -> None:
    """Each Deployment replaced one pod at a time (surge one, then stop one), as a rollout does."""
    load = Load(system.gateway_addresses, rate=30).start()
    restarted = []
    try:
        time.sleep(3)
        for workload in ("gateway", "identity", "application", "notification", "documents"):
            for old in list(system.pods_of(workload)):
                began = time.time()
                system.start_pod(workload)
                code = system.stop_pod(old, endpoints_lag=2.0 if workload == "gateway" else 1.0)
                restarted.append((old.name, code, began, time.time()))
        time.sleep(3)
    finally:
        load.stop()
    print(f"\nrolling restart of {len(restarted)} pods: {load.count()} requests, {len(load.failures())} failed")
    assert all(code == 0 for _, code, _, _ in restarted), restarted
    assert not load.failures(), [(_replaced_at(restarted, f.at), f) for f in load.failures()]


def _replaced_at(restarted: list[tuple[str, int, float, float]], at: float) -> str:
    """The pod being replaced when a request was sent (for a failure's report)."""
    return next((name for name, _, began, ended in restarted if began <= at <= ended), "none")
