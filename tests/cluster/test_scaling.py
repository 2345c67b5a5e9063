"""Scaling out and in under load, each replica its own host behind a real DNS name.

A replica added at a peak must take its share of calls soon (grpc's dns resolver looks names up
again only when a connection ends, so servers end connections after a maximum age); a replica
stopped or restarted must fail no request (readiness off, drain, finish what is in flight).
"""

from __future__ import annotations

import time

import pytest

from tests.cluster.load import Load, calls_served
from tests.cluster.system import Cluster

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


@pytest.mark.parametrize("service", ["identity", "application"])
def test_a_replica_added_under_load_serves_its_share_within_30_s(system: Cluster, service: str) -> None:
    load = Load(system.gateway_addresses, rate=30).start()
    try:
        time.sleep(5)
        (old,) = [p for p in system.pods_of(service)]
        new = system.start_pod(service)
        shares = []
        before = {p.name: calls_served(system.metrics(p), service) for p in (old, new)}
        for _ in range(WINDOWS):
            time.sleep(WINDOW)
            after = {p.name: calls_served(system.metrics(p), service) for p in (old, new)}
            served = {name: after[name] - before[name] for name in after}
            shares.append(served[new.name] / max(1.0, sum(served.values())))
            before = after
        print(f"\n{service}: share of calls served by the added replica per {WINDOW:.0f} s window: "
              + ", ".join(f"{s:.0%}" for s in shares))
    finally:
        load.stop()
        if len(system.pods_of(service)) > 1:
            system.stop_pod(system.pods_of(service)[-1])
    assert not load.failures(), load.failures()[:5]
    assert shares[-1] >= MIN_SHARE_BY_30_S, shares


@pytest.mark.parametrize("service", ["identity", "application"])
def test_a_replica_stopped_under_load_fails_no_request(system: Cluster, service: str) -> None:
    system.start_pod(service)
    load = Load(system.gateway_addresses, rate=30).start()
    try:
        time.sleep(5)
        leaving = system.pods_of(service)[0]
        code = system.stop_pod(leaving, endpoints_lag=1.0)
        time.sleep(5)
    finally:
        load.stop()
    print(f"\n{service}: {load.count()} requests, {len(load.failures())} failed while a replica stopped")
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
