"""Every Deployment of the production overlay starts from its rendered environment and the Secrets
an operator fills from secrets.yaml.example, and finds the services it calls by their names."""

from __future__ import annotations

import grpc
import pytest
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT
from tqr.documents.v1 import documents_pb2, documents_pb2_grpc

from tests.cluster.system import Cluster

WORKLOADS = ("identity", "application", "notification", "documents", "gateway")


@pytest.fixture(scope="module")
def system(cluster: Cluster) -> Cluster:
    for workload in WORKLOADS:
        if not cluster.pods_of(workload):
            cluster.start_pod(workload)
    return cluster


def test_every_deployment_serves_from_the_production_environment(system: Cluster) -> None:
    assert system.workloads["gateway"][-1].env["TQR_ENVIRONMENT"] == "production"
    for workload in WORKLOADS:
        (pod,) = system.pods_of(workload)
        assert system.ready(pod), system.log_tail(pod)


def test_documents_reaches_application_by_its_service_name(system: Cluster) -> None:
    """A form download makes documents ask application for the application's data: an unknown id
    comes back NOT_FOUND from application; unwired, documents cannot reach it (UNAVAILABLE)."""
    (documents,) = system.pods_of("documents")
    applicant = system.signed_as_gateway(Actor(subject_id="harness-applicant", role=ROLE_APPLICANT))
    address = f"{documents.address}:{documents.port('DOCUMENTS_GRPC_PORT')}"
    with system.channel_as_gateway(address, "documents") as channel:
        stream = documents_pb2_grpc.DocumentsServiceStub(channel).DownloadApplicationForm(
            documents_pb2.DownloadApplicationFormRequest(application_id="no-such-application"),
            metadata=applicant, timeout=20)
        with pytest.raises(grpc.RpcError) as refused:
            list(stream)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND, refused.value.details()


def test_a_pod_without_a_certificate_of_the_ca_is_refused_by_every_backend(system: Cluster) -> None:
    """Reaching a backend's port is not enough: plain gRPC fails at the handshake."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    for workload in ("identity", "application", "notification", "documents"):
        (pod,) = system.pods_of(workload)
        with grpc.insecure_channel(f"{pod.address}:{pod.port(f'{workload.upper()}_GRPC_PORT')}") as channel:
            with pytest.raises(grpc.RpcError) as refused:
                health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, workload


def test_each_backend_connects_to_the_broker_as_the_user_of_its_own_secret(system: Cluster) -> None:
    """The URL each Deployment takes from its tqr-amqp-<service> Secret names a user of its own,
    made by servicekit.broker_users with only that service's rights; the gateway has none."""
    import json
    import urllib.parse

    from tests.cluster.system import rabbitmqctl

    listed = json.loads(rabbitmqctl("list_connections", "vhost", "user", "client_properties", "--formatter", "json"))
    users: dict[str, set[str]] = {}
    for connection in listed:
        name = next((value for key, _, value in connection["client_properties"] if key == "connection_name"), "")
        if connection["vhost"] == system.infra.vhost:
            users.setdefault(name.removeprefix("tqr-"), set()).add(connection["user"])
    backends = [w for w in WORKLOADS if w != "gateway"]
    assert set(users) == set(backends)
    for backend in backends:
        (pod,) = system.pods_of(backend)
        wanted = urllib.parse.unquote(urllib.parse.urlsplit(pod.env[f"{backend.upper()}_AMQP_URL"]).username or "")
        assert users[backend] == {wanted}
    assert len({user for names in users.values() for user in names}) == len(backends)
