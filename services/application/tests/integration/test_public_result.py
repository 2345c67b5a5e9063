"""R-PUB-1 through the service: certificate number + name → the newest decision's result and date,
nothing else; unknown, mismatched and undecided queries get one and the same empty answer; bad
input is refused field by field in Chinese and English and changes nothing."""

from __future__ import annotations

import grpc
import pytest
from tqr.application.v1 import public_pb2, public_pb2_grpc, staff_pb2

RESULT_FIELDS = {"result", "decided_at"}


def stub(app) -> public_pb2_grpc.PublicResultServiceStub:
    return public_pb2_grpc.PublicResultServiceStub(app.channel)


async def ask(app, number: str, name: str) -> public_pb2.CheckRegistrationResultResponse:
    return await stub(app).CheckRegistrationResult(
        public_pb2.CheckRegistrationResultRequest(certificate_number=number, name=name), timeout=20)


async def decide(app, h, submitted, action: str) -> None:
    app.clock.advance(seconds=1)
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=submitted.application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", "11010801"))
    app.clock.advance(hours=2)
    await app.call(app.staff.DecideApplication, staff_pb2.DecideApplicationRequest(
        application_id=submitted.application_id, action=action, reason="依据审核结果", expected_version=0),
        h.staff("AUTHORITY_ADMIN", "110108"))


async def test_r_pub_1_a_decided_result_and_its_date_and_nothing_else(app, h):
    who = h.new_applicant(name="张 晓燕")
    certificate = "20151100000077001"
    submitted = await app.submit_new(who, certificate=certificate)
    pending = await ask(app, certificate, "张晓燕")
    assert pending.result == public_pb2.REGISTRATION_RESULT_UNSPECIFIED and not pending.HasField("decided_at")

    await decide(app, h, submitted, "APPROVE_REGISTERED")
    found = await ask(app, "２０１５ 1100 0000 77001", "张晓燕")  # typed full width, spaced (R-WIZ-11)
    assert found.result == public_pb2.REGISTRATION_RESULT_REGISTERED
    assert found.decided_at.ToDatetime().replace(microsecond=0) == app.clock.now().replace(tzinfo=None, microsecond=0)
    assert {f.name for f, _ in found.ListFields()} <= RESULT_FIELDS  # the whole answer: result and date

    for number, name in ((certificate, "张小燕"), ("20151100000077002", "张晓燕")):
        assert await ask(app, number, name) == pending  # wrong name, unknown number: the same empty answer


async def test_r_pub_1_deferral_is_shown_as_such(app, h):
    who = h.new_applicant(name="李明")
    submitted = await app.submit_new(who, certificate="20151100000077003")
    await decide(app, h, submitted, "DEFER")
    assert (await ask(app, "20151100000077003", "李明")).result == public_pb2.REGISTRATION_RESULT_DEFERRED


@pytest.mark.parametrize(("number", "name", "fields"), [
    ("", "", {"certificate_number", "name"}),
    ("2015-abc-!!", "李明", {"certificate_number"}),
    ("20151100000077003", "李" * 51, {"name"}),
])
async def test_r_pub_1_bad_input_is_refused_per_field_in_both_languages(app, h, number, name, fields):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await ask(app, number, name)
    refused = h.refusal(caught)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and refused.code == "R-PUB-1"
    assert {p.field for p in refused.problems} == fields
    assert all(p.message_zh and p.message_en for p in refused.problems)
