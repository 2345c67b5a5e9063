"""Services believe only an actor the gateway signed (servicekit.rpc.actor), over real gRPC.

Each refused call must be refused UNAUTHENTICATED before the handler runs: the probe counts calls."""

from __future__ import annotations

import json

import grpc
import pytest
from servicekit.rpc.actor import (
    ACTOR_METADATA_KEY,
    CLAIMS_METADATA_KEY,
    DEV_DOCUMENTS_SIGNING_KEYS,
    DEV_GATEWAY_SIGNING_KEYS,
    DEV_VERIFY_KEYS,
    ActorSigner,
    ActorVerifier,
    actor_of,
    new_key_pair,
)
from servicekit.rpc.client import open_channel
from servicekit.rpc.server import create_server
from servicekit.service_settings import ServiceSettings
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT, ROLE_AUTHORITY_ADMIN, ROLE_SYSTEM, Role
from tqr.documents.v1 import documents_pb2, documents_pb2_grpc

SERVICE = "tqr.documents.v1.DocumentsService"
NOW = 1_900_000_000.0
APPLICANT = Actor(subject_id="acc-7", role=ROLE_APPLICANT)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class WhoAsks(documents_pb2_grpc.DocumentsServiceServicer):
    """Answers with the verified caller's subject and role."""

    def __init__(self) -> None:
        self.calls = 0

    async def VerifyFormCode(self, request, context):
        self.calls += 1
        actor = actor_of(context)
        return documents_pb2.VerifyFormCodeResponse(genuine=True, application_number=f"{actor.subject_id}/{Role.Name(actor.role).removeprefix('ROLE_')}")


class Server:
    def __init__(self, clock: Clock) -> None:
        self.probe = WhoAsks()
        self.server, _ = create_server(
            "probe", [lambda s: documents_pb2_grpc.add_DocumentsServiceServicer_to_server(self.probe, s)], [SERVICE],
            actor_verifier=ActorVerifier.from_setting(DEV_VERIFY_KEYS, clock=clock),
        )
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    async def ask(self, metadata) -> str:
        async with open_channel(f"127.0.0.1:{self.port}", SERVICE) as channel:
            stub = documents_pb2_grpc.DocumentsServiceStub(channel)
            answer = await stub.VerifyFormCode(documents_pb2.VerifyFormCodeRequest(code="x"), metadata=metadata)
            return answer.application_number

    async def refused(self, metadata) -> grpc.StatusCode:
        calls = self.probe.calls
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.ask(metadata)
        assert self.probe.calls == calls, "the handler ran for a refused actor"
        return caught.value.code()


@pytest.fixture
async def server():
    clock = Clock(NOW)
    running = Server(clock)
    await running.server.start()
    running.clock = clock  # type: ignore[attr-defined]
    yield running
    await running.server.stop(None)


def gateway(clock: float = NOW, keys: str = DEV_GATEWAY_SIGNING_KEYS) -> ActorSigner:
    return ActorSigner.from_setting(keys, clock=Clock(clock))


async def test_a_signed_actor_is_the_caller_the_handler_sees(server):
    assert await server.ask(gateway().metadata_for(APPLICANT, "session-1")) == "acc-7/APPLICANT"


async def test_an_unsigned_actor_is_refused_before_the_handler(server):
    """Today's plain protobuf: anyone who reaches the port could claim to be anybody."""
    plain = ((ACTOR_METADATA_KEY, Actor(subject_id="x", role=ROLE_AUTHORITY_ADMIN).SerializeToString()),)
    assert await server.refused(plain) == grpc.StatusCode.UNAUTHENTICATED


async def test_a_forged_actor_is_refused(server):
    signed = dict(gateway().metadata_for(APPLICANT, "session-1"))
    signed[ACTOR_METADATA_KEY] = Actor(subject_id="acc-7", role=ROLE_AUTHORITY_ADMIN,
                                       organisation_code="110108").SerializeToString()
    assert await server.refused(tuple(signed.items())) == grpc.StatusCode.UNAUTHENTICATED


async def test_the_signature_covers_the_role(server):
    """Only the role changed, to one the gateway may assert: the signed bytes differ, so it fails."""
    signed = dict(gateway().metadata_for(APPLICANT, "session-1"))
    raised = Actor()
    raised.ParseFromString(signed[ACTOR_METADATA_KEY])
    raised.role = ROLE_AUTHORITY_ADMIN
    signed[ACTOR_METADATA_KEY] = raised.SerializeToString()
    assert await server.refused(tuple(signed.items())) == grpc.StatusCode.UNAUTHENTICATED


async def test_an_actor_with_only_the_old_string_role_is_refused(server):
    """A gateway of the previous release wrote the role as a string in field 2 (now reserved): its
    signature is good, but the actor has no role, so it is refused rather than read as someone
    (deploy/RUNBOOK.md: the services and the gateway change together)."""
    old_body = b"".join((_string_field(1, "acc-7"), _string_field(2, "AUTHORITY_ADMIN")))
    signer = gateway()
    signed = signer._sign(old_body, "session-1", int(NOW) + 60)
    assert await server.refused(signed) == grpc.StatusCode.UNAUTHENTICATED


def _string_field(number: int, text: str) -> bytes:
    data = text.encode()
    return bytes([number << 3 | 2, len(data)]) + data


async def test_an_expired_actor_is_refused(server):
    stale = gateway(clock=NOW - 3600).metadata_for(APPLICANT, "session-1")
    assert await server.refused(stale) == grpc.StatusCode.UNAUTHENTICATED


async def test_an_actor_signed_with_an_unknown_key_is_refused(server):
    rogue_keys, _ = new_key_pair("gateway.rogue")
    assert await server.refused(gateway(keys=rogue_keys).metadata_for(APPLICANT)) == grpc.StatusCode.UNAUTHENTICATED


async def test_a_valid_actor_replayed_after_its_expiry_is_refused(server):
    captured = gateway().metadata_for(APPLICANT, "session-1")
    assert await server.ask(captured) == "acc-7/APPLICANT"
    server.clock.now = NOW + 3600
    assert await server.refused(captured) == grpc.StatusCode.UNAUTHENTICATED


async def test_the_gateway_cannot_assert_system_and_a_service_only_itself(server):
    system = Actor(subject_id="documents", role=ROLE_SYSTEM)
    assert await server.refused(gateway().metadata_for(system)) == grpc.StatusCode.UNAUTHENTICATED
    documents = gateway(keys=DEV_DOCUMENTS_SIGNING_KEYS)
    assert await server.refused(documents.metadata_for(APPLICANT)) == grpc.StatusCode.UNAUTHENTICATED
    assert await server.ask(documents.metadata_for(system)) == "documents/SYSTEM"


async def test_the_test_helper_signs_as_the_gateway_does(server):
    server.clock.now = __import__("time").time()
    assert await server.ask(metadata_for(APPLICANT)) == "acc-7/APPLICANT"


def test_production_refuses_the_development_verify_keys():
    settings = ServiceSettings()
    assert any("TQR_ACTOR_VERIFY_KEYS" in problem for problem in settings.production_problems())
    _, verify = new_key_pair("gateway.2027")
    assert not any("TQR_ACTOR_VERIFY_KEYS" in p for p in ServiceSettings(actor_verify_keys=verify).production_problems())


def test_a_malformed_verify_key_stops_the_start():
    with pytest.raises(ValueError, match=r"gateway\.bad"):
        ServiceSettings(actor_verify_keys="gateway.bad:not-a-key")


def test_production_refuses_the_development_signing_keys():
    from tqr_documents.config import DocumentsSettings
    from tqr_gateway.config import GatewaySettings

    assert "set GATEWAY_ACTOR_SIGNING_KEYS (still the development key)" in GatewaySettings().production_problems()
    assert "set DOCUMENTS_ACTOR_SIGNING_KEYS (still the development key)" in DocumentsSettings().production_problems()
    signing, _ = new_key_pair("gateway.k1")
    assert not any("ACTOR" in p for p in GatewaySettings(actor_signing_keys=signing).production_problems())


def test_a_signer_reuses_an_assertion_for_half_its_lifetime_then_signs_anew():
    clock = Clock(NOW)
    signer = ActorSigner.from_setting(DEV_GATEWAY_SIGNING_KEYS, clock=clock, lifetime_seconds=60)
    first = signer.metadata_for(APPLICANT, "session-1")
    clock.now = NOW + 29
    assert signer.metadata_for(APPLICANT, "session-1") == first
    assert signer.metadata_for(APPLICANT, "session-2") != first  # bound to its session
    clock.now = NOW + 31
    renewed = dict(signer.metadata_for(APPLICANT, "session-1"))
    assert renewed != dict(first)
    assert json.loads(renewed[CLAIMS_METADATA_KEY])["exp"] == int(NOW + 31) + 60


async def test_a_remembered_signature_does_not_vouch_for_another_actor(server):
    """The verifier remembers checked signatures; a forged body or claims under one is still refused."""
    signed = dict(gateway().metadata_for(APPLICANT, "session-1"))
    assert await server.ask(tuple(signed.items())) == "acc-7/APPLICANT"
    forged_body = {**signed, ACTOR_METADATA_KEY: Actor(subject_id="acc-8", role=ROLE_APPLICANT).SerializeToString()}
    assert await server.refused(tuple(forged_body.items())) == grpc.StatusCode.UNAUTHENTICATED
    claims = json.loads(signed[CLAIMS_METADATA_KEY])
    longer = json.dumps({**claims, "exp": claims["exp"] + 200}, separators=(",", ":"), sort_keys=True).encode()
    forged_claims = {**signed, CLAIMS_METADATA_KEY: longer}
    assert await server.refused(tuple(forged_claims.items())) == grpc.StatusCode.UNAUTHENTICATED
