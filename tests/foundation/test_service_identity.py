"""Mutual TLS between services, over real gRPC: a server takes only callers with a certificate of
the deployment's CA, and of those only the services its table names for the method; clients accept
only the server they meant to reach. The signed actor is still required on top."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit import db, devpki
from servicekit.host import HostParts, ServiceHost
from servicekit.rpc.actor import ACTOR_METADATA_KEY, actor_of
from servicekit.rpc.client import open_channel
from servicekit.rpc.tls import Callers, TlsFiles, peer_service
from servicekit.service_settings import ServiceSettings
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT, ROLE_AUTHORITY_ADMIN
from tqr.documents.v1 import documents_pb2, documents_pb2_grpc

SERVICE = "tqr.documents.v1.DocumentsService"
APPLICANT = Actor(subject_id="acc-7", role=ROLE_APPLICANT)


class Probe(documents_pb2_grpc.DocumentsServiceServicer):
    def __init__(self) -> None:
        self.calls = 0

    async def VerifyFormCode(self, request, context):
        self.calls += 1
        return documents_pb2.VerifyFormCodeResponse(genuine=True,
                                                    application_number=f"{peer_service(context)}/{actor_of(context).subject_id}")

    async def ExportPointApplicants(self, request, context):  # not in the table: nobody may call it
        self.calls += 1
        yield documents_pb2.ExportPointApplicantsResponse()


@pytest.fixture
async def documents(sqlite_url, service_tls):
    """A host serving as ``documents`` over mutual TLS; VerifyFormCode for the gateway only."""
    probe = Probe()
    files = service_tls["documents"]
    settings = ServiceSettings(grpc_port=0, metrics_port=-1, database_url=sqlite_url, drain_seconds=0,
                               shutdown_grace_seconds=1, tls_cert=files.cert, tls_key=files.key, tls_ca=files.ca,
                               health_port=0)
    parts = HostParts(name="documents", engine=db.create_engine(sqlite_url),
                      register=[lambda s: documents_pb2_grpc.add_DocumentsServiceServicer_to_server(probe, s)],
                      service_names=[SERVICE], callers=Callers({f"/{SERVICE}/VerifyFormCode": {"gateway"}}))
    host = ServiceHost(settings, parts)
    await host.start()
    host.probe = probe  # type: ignore[attr-defined]
    yield host
    await host.stop()


async def verify(port: int, tls: TlsFiles | None, metadata=None) -> str:
    async with open_channel(f"127.0.0.1:{port}", SERVICE, tls=tls, timeout_seconds=10) as channel:
        answer = await documents_pb2_grpc.DocumentsServiceStub(channel).VerifyFormCode(
            documents_pb2.VerifyFormCodeRequest(code="x"), metadata=metadata if metadata is not None else metadata_for(APPLICANT))
        return answer.application_number


async def refused(host, tls: TlsFiles | None, metadata=None) -> grpc.StatusCode:
    calls = host.probe.calls
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await verify(host.port, tls, metadata)
    assert host.probe.calls == calls, "the handler ran for a refused call"
    return caught.value.code()


async def test_the_gateway_with_its_certificate_and_a_signed_actor_is_served(documents, service_tls):
    assert await verify(documents.port, service_tls["gateway"]) == "gateway/acc-7"


async def test_a_call_without_a_client_certificate_is_refused(documents, service_tls, tmp_path):
    # Plain gRPC: no TLS at all.
    assert await refused(documents, None) == grpc.StatusCode.UNAVAILABLE
    # TLS that trusts the server but shows no certificate of its own.
    ca = service_tls["gateway"].ca
    async with grpc.aio.secure_channel(f"127.0.0.1:{documents.port}", grpc.ssl_channel_credentials(open(ca, "rb").read()),
                                       options=[("grpc.ssl_target_name_override", "documents")]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await documents_pb2_grpc.DocumentsServiceStub(channel).VerifyFormCode(
                documents_pb2.VerifyFormCodeRequest(code="x"), metadata=metadata_for(APPLICANT), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert documents.probe.calls == 0


async def test_a_certificate_of_another_ca_is_refused(documents, tmp_path):
    stranger = devpki.ensure(tmp_path / "other-ca", ["gateway"])["gateway"]
    assert await refused(documents, stranger) == grpc.StatusCode.UNAVAILABLE


async def test_another_service_on_a_method_it_may_not_call_is_denied(documents, service_tls):
    assert await refused(documents, service_tls["notification"]) == grpc.StatusCode.PERMISSION_DENIED
    assert await refused(documents, service_tls["application"]) == grpc.StatusCode.PERMISSION_DENIED


async def test_a_method_missing_from_the_table_is_denied_to_everyone(documents, service_tls):
    async with open_channel(f"127.0.0.1:{documents.port}", SERVICE, tls=service_tls["gateway"]) as channel:
        stream = documents_pb2_grpc.DocumentsServiceStub(channel).ExportPointApplicants(
            documents_pb2.ExportPointApplicantsRequest(point_code="P1"), metadata=metadata_for(APPLICANT))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            [item async for item in stream]
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert documents.probe.calls == 0


async def test_the_gateways_certificate_does_not_make_an_unsigned_actor_believed(documents, service_tls):
    plain = ((ACTOR_METADATA_KEY, Actor(subject_id="x", role=ROLE_AUTHORITY_ADMIN).SerializeToString()),)
    assert await refused(documents, service_tls["gateway"], plain) == grpc.StatusCode.UNAUTHENTICATED


async def test_a_client_refuses_a_server_that_is_not_the_service_it_meant(documents, service_tls):
    """The documents server's certificate does not name the application service."""
    async with open_channel(f"127.0.0.1:{documents.port}", "tqr.application.v1.StaffService",
                            tls=service_tls["gateway"]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await documents_pb2_grpc.DocumentsServiceStub(channel).VerifyFormCode(
                documents_pb2.VerifyFormCodeRequest(code="x"), metadata=metadata_for(APPLICANT))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_health_answers_in_plain_grpc_on_its_own_port_for_the_kubelet(documents):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{documents.health_port}") as channel:
        answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as caught:  # nothing else is served there
            await documents_pb2_grpc.DocumentsServiceStub(channel).VerifyFormCode(
                documents_pb2.VerifyFormCodeRequest(code="x"), metadata=metadata_for(APPLICANT), timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_production_refuses_to_run_without_mutual_tls(service_tls):
    assert any("TLS" in problem for problem in ServiceSettings().production_problems())
    files = service_tls["identity"]
    complete = ServiceSettings(tls_cert=files.cert, tls_key=files.key, tls_ca=files.ca)
    assert not any("TLS" in problem for problem in complete.production_problems())
    with pytest.raises(ValueError, match="together"):
        ServiceSettings(tls_cert=files.cert)


def test_only_the_documents_service_reads_form_data_and_only_the_gateway_staff_decisions():
    from tqr_application.bootstrap import CALLERS as APPLICATION
    from tqr_identity.bootstrap import CALLERS as IDENTITY

    assert APPLICATION.allowed("/tqr.application.v1.FormDataService/GetApplicationForForm") == {"documents"}
    assert APPLICATION.allowed("/tqr.application.v1.StaffService/DecideApplication") == {"gateway"}
    assert APPLICATION.allowed("/tqr.application.v1.StaffService/GetApplicationForStaff") == {"gateway", "documents"}
    assert IDENTITY.allowed("/tqr.identity.v1.IdentityService/ResolveSession") == {"gateway"}
