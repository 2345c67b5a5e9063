"""The contracts carry roles, gender, document types and review statuses as enums; the gateway's JSON
and pages still show the codes they showed when those were strings."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from tqr.application.v1 import views_pb2 as views
from tqr.common.v1 import vocabulary_pb2 as vocab
from tqr.identity.v1 import identity_pb2 as idp
from tqr_gateway import vocabulary
from tqr_gateway.api import application_models as m
from tqr_gateway.clients.identity import IdentityClient

from services.gateway.tests.unit import account_fakes as fakes

pytestmark = pytest.mark.redis
COOKIE = "__Host-session"
SIGN_IN = {"document_type": "ID_CARD", "document_number": "11010519800101002X", "pass_token": "pass-1",
           "password": fakes.GOOD_PASSWORD}


@pytest.fixture
def fake():
    return fakes.FakeIdentity()


@pytest.fixture
def client(fake):
    with fakes.gateway(fake) as client:
        yield client


def headers(client):
    return {"X-CSRF-Token": client.get("/api/v1/account/csrf-token").json()["csrf_token"]}


def test_account_json_shows_the_codes(client, fake):
    signed = client.post("/api/v1/account/sessions", json=SIGN_IN, headers=headers(client))
    assert signed.json()["roles"] == ["APPLICANT"]
    me = client.get("/api/v1/account/me").json()
    assert (me["document_type"], me["gender"]) == ("ID_CARD", "FEMALE")
    options = client.get("/api/v1/account/registration-options").json()
    assert options["document_types"][0]["code"] == "ID_CARD"


def test_the_profile_page_labels_the_gender_from_the_one_table(client, fake):
    client.cookies.set(COOKIE, fake.sign_in_applicant())
    fake.account = fakes.account_view(gender=vocab.GENDER_MALE)
    assert "男" in client.get("/account/profile").text
    fake.account = fakes.account_view(gender=vocab.GENDER_UNSPECIFIED)
    assert "男" not in client.get("/account/profile").text


@pytest.mark.parametrize(("value", "shown"), [(vocab.GENDER_MALE, "M"), (vocab.GENDER_FEMALE, "F"),
                                              (vocab.GENDER_UNSPECIFIED, "")])
def test_the_applications_api_says_m_and_f_as_before(value, shown) -> None:
    certificate = m.from_proto(m.Certificate, views.CertificateData(certificate_number="1", gender=value))
    assert certificate.model_dump()["gender"] == shown


class RecordingStub:
    """Stands in for the identity stub: keeps the request the real client built."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def __getattr__(self, rpc: str) -> Any:
        async def call(request: Any, **kwargs: Any) -> Any:
            self.sent.append(request)
            return idp.GetAccountResponse() if rpc == "UpdateProfile" else idp.SignInResponse()
        return call


async def test_the_identity_client_sends_the_enums() -> None:
    client = IdentityClient(grpc.aio.insecure_channel("127.0.0.1:9"))
    client._stub = stub = RecordingStub()  # type: ignore[assignment]
    await client.sign_in(document_type="HKMO_PERMIT", document_number="H1234567", password="x", pass_token="p",
                         client_id="c")
    await client.update_profile((), {"gender": "FEMALE", "ethnicity": "汉族"})
    await client.update_profile((), {"ethnicity": "汉族"})
    signed, with_gender, without = stub.sent
    assert signed.document_type == vocab.DOCUMENT_TYPE_HKMO_PERMIT
    assert with_gender.gender == vocab.GENDER_FEMALE and not without.HasField("gender")


def test_form_codes_become_enum_values_and_unknown_ones_are_not_given() -> None:
    assert vocabulary.gender_of_letter("F") == vocab.GENDER_FEMALE
    assert vocabulary.gender("MALE") == vocab.GENDER_MALE
    assert vocabulary.document_type("TW_PERMIT") == vocab.DOCUMENT_TYPE_TW_PERMIT
    assert vocabulary.gender_of_letter("X") == vocabulary.gender("M") == vocab.GENDER_UNSPECIFIED
    assert vocabulary.document_type("PASSPORT") == vocab.DOCUMENT_TYPE_UNSPECIFIED
