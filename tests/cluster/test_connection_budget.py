"""The PostgreSQL connection budget at the peak overlay's replica counts: every application pod of
the peak's minimum busy at once, through the pooler the manifests ship, keeps PostgreSQL's
connections within the pooler's server pool (tests/deploy/test_connection_budget.py does the
arithmetic for the maximums; this runs it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from tqr.application.v1 import application_pb2, application_pb2_grpc
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT

from tests.cluster import manifests
from tests.cluster.conftest import running_cluster
from tests.cluster.system import Cluster

CALLS_IN_FLIGHT_PER_POD = 30  # three times a pod's pool: every pool is full and waiting
BUSY_SECONDS = 10.0
SERVICE = "application"


@pytest.fixture(scope="module")
def peak() -> Iterator[Cluster]:
    yield from running_cluster("peak")


def _busy(cluster: Cluster, address: str, stop: threading.Event, errors: list[str]) -> None:
    """Calls as the gateway makes them (mutual TLS, a signed actor), one after another."""
    applicant = cluster.signed_as_gateway(Actor(subject_id="harness-applicant", role=ROLE_APPLICANT))
    with cluster.channel_as_gateway(address, SERVICE) as channel:
        stub = application_pb2_grpc.ReferenceDataServiceStub(channel)
        while not stop.is_set():
            try:
                stub.ListAuthorities(application_pb2.ListAuthoritiesRequest(), metadata=applicant, timeout=30)
            except grpc.RpcError as error:
                errors.append(f"{error.code().name}: {error.details()}")


def test_peak_replicas_stay_within_the_poolers_server_connections(peak: Cluster) -> None:
    replicas = manifests.of_kind(peak.resources, "HorizontalPodAutoscaler")[SERVICE]["spec"]["minReplicas"]
    pool = int(peak.workloads[SERVICE][-1].env.get(f"{SERVICE.upper()}_DB_POOL_SIZE", "10"))
    for _ in range(replicas):
        peak.start_pod(SERVICE)
    stop, errors, observed = threading.Event(), [], []
    workers = [threading.Thread(target=_busy, args=(peak, f"{pod.address}:{pod.port('APPLICATION_GRPC_PORT')}", stop, errors))
               for pod in peak.pods_of(SERVICE) for _ in range(CALLS_IN_FLIGHT_PER_POD)]
    for worker in workers:
        worker.start()
    try:
        ends = time.monotonic() + BUSY_SECONDS
        while time.monotonic() < ends:
            observed.append(peak.pooler.server_connections(SERVICE))
            time.sleep(0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)
    print(f"\n{replicas} {SERVICE} pods × pool {pool} = {replicas * pool} client connections; "
          f"PostgreSQL connections to its database: max {max(observed)} (the pooler's pool: {peak.pooler.pool_size})")
    assert not errors, errors[:5]
    assert replicas * pool > peak.pooler.pool_size, "the pods ask for more connections than the pool lends"
    assert max(observed) <= peak.pooler.pool_size
