"""Broadcasts (R-STAFF-7): the recipients of a plan or a point by status, preview before send, each
applicant once, the broadcast recorded and audited, its recipients published in pages; scope
(R-STAFF-4): only the caller's own organisation."""

from __future__ import annotations

import uuid

import pytest
from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import broadcast_pb2 as pb
from tqr.application.v1 import broadcast_pb2_grpc, staff_pb2, status_pb2
from tqr.common.v1.envelope_pb2 import EventEnvelope
from tqr_application.adapters import orm
from tqr_application.service_layer import broadcast

TEXT = pb.BroadcastText(subject_zh="  周五确认点关闭  ", body_zh="本周五确认点暂停服务，请改在周六前来。",
                        subject_en="Point closed on Friday", body_en="The point is closed on Friday; come on Saturday.")


@pytest.fixture
async def stub(app):
    return broadcast_pb2_grpc.BroadcastServiceStub(app.channel)


async def _submitted(app, h, point: str = "11010801", authority: str = "110108") -> str:
    reply = await app.submit_new(point=point, authority=authority)
    return reply.application.application_id


async def _applicant_of(app, application_id: str) -> str:
    async with app.ctx.sessions() as session:
        return str(await session.scalar(select(orm.applications.c.applicant_id)
                                         .where(orm.applications.c.id == application_id)))


async def test_r_staff_7_preview_counts_then_send_records_audits_and_publishes_each_applicant_once(
        app, h, stub, monkeypatch):
    first, second, third = [await _submitted(app, h) for _ in range(3)]
    elsewhere = await _submitted(app, h, point="11010501", authority="110105")
    point_staff = h.staff("POINT_STAFF", "11010801")
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=first, action=status_pb2.CONFIRM_ON_SITE), point_staff)
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    plan = app.plan_ids["110108"]

    everyone = pb.BroadcastAudience(plan_id=plan)
    preview = await app.call(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(audience=everyone, text=TEXT), admin)
    assert preview.recipient_count == 3
    assert preview.text.subject_zh == "周五确认点关闭" and preview.author_org_name == "区110108教育委员会"
    submitted_only = pb.BroadcastAudience(plan_id=plan, statuses=[status_pb2.SUBMITTED])
    preview = await app.call(stub.PreviewBroadcast,
                             pb.PreviewBroadcastRequest(audience=submitted_only, text=TEXT), admin)
    assert preview.recipient_count == 2
    by_point = await app.call(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(
        audience=pb.BroadcastAudience(point_code="11010801", statuses=[status_pb2.CONFIRMED]), text=TEXT),
        point_staff)
    assert by_point.recipient_count == 1
    assert await app.count(orm.broadcasts) == 0  # a preview writes nothing

    # Pages of two so that three recipients make two events.
    monkeypatch.setattr(broadcast, "PAGE_SIZE", 2)
    key = uuid.uuid4().hex
    request = pb.SendBroadcastRequest(audience=everyone, text=TEXT, idempotency_key=key, expected_count=3)
    sent = await app.call(stub.SendBroadcast, request, admin)
    again = await app.call(stub.SendBroadcast, request, admin)  # the same form sent twice
    assert sent.recipient_count == 3 and again.broadcast_id == sent.broadcast_id
    assert await app.count(orm.broadcasts) == 1
    assert await app.published("BroadcastPosted", sent.broadcast_id) == 2

    async with app.ctx.sessions() as session:
        row = (await session.execute(select(orm.broadcasts))).one()
        audits = (await session.execute(select(orm.audit_log).where(orm.audit_log.c.action == "BROADCAST"))).all()
        envelopes = (await session.scalars(select(orm.outbox.c.envelope).where(
            orm.outbox.c.aggregate_id == sent.broadcast_id))).all()
    assert (row.author_org, row.plan_id, row.recipient_count, row.pages) == ("110108", plan, 3, 2)
    assert row.subject_zh == "周五确认点关闭" and row.body_en.startswith("The point is closed")
    assert [(a.target_id, a.actor_org, a.detail["recipients"]) for a in audits] == [(sent.broadcast_id, "110108", 3)]
    recipients: list[str] = []
    for raw in envelopes:
        event = pb.BroadcastPosted()
        EventEnvelope.FromString(raw).payload.Unpack(event)
        assert event.broadcast_id == sent.broadcast_id and event.pages == 2 and event.author_org_name
        recipients.extend(event.applicant_ids)
    expected = {await _applicant_of(app, a) for a in (first, second, third)}
    assert sorted(recipients) == sorted(expected)  # each once, none of another authority's
    assert await _applicant_of(app, elsewhere) not in recipients


async def test_r_staff_7_only_the_callers_own_organisation(app, h, stub):
    await _submitted(app, h)
    text = TEXT
    other_admin = h.staff("AUTHORITY_ADMIN", "110105")
    for audience in (pb.BroadcastAudience(plan_id=app.plan_ids["110108"]), pb.BroadcastAudience(point_code="11010801")):
        refused = await app.refused(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(audience=audience, text=text),
                                    other_admin)
        assert isinstance(refused, errors.PermissionDenied) and refused.code == "R-STAFF-7"
    other_point = h.staff("POINT_STAFF", "11010802")
    refused = await app.refused(stub.SendBroadcast, pb.SendBroadcastRequest(
        audience=pb.BroadcastAudience(point_code="11010801"), text=text, idempotency_key="k", expected_count=1),
        other_point)
    assert isinstance(refused, errors.PermissionDenied)
    # A plan that includes the point: its staff reach only the plan's applicants at their point.
    own = await app.call(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(
        audience=pb.BroadcastAudience(plan_id=app.plan_ids["110108"]), text=text), other_point)
    assert own.recipient_count == 0
    refused = await app.refused(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(
        audience=pb.BroadcastAudience(plan_id=app.plan_ids["110108"]), text=text),
        h.staff("POINT_STAFF", "11010501"))
    assert isinstance(refused, errors.PermissionDenied)
    refused = await app.refused(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(
        audience=pb.BroadcastAudience(plan_id=app.plan_ids["110108"]), text=text), h.new_applicant().actor)
    assert isinstance(refused, errors.PermissionDenied)
    assert await app.count(orm.broadcasts) == 0 and await app.events("BroadcastPosted") == 0


async def test_r_staff_7_bad_input_and_a_changed_count_send_nothing(app, h, stub):
    await _submitted(app, h)
    admin = h.staff("AUTHORITY_ADMIN", "110108")
    audience = pb.BroadcastAudience(plan_id=app.plan_ids["110108"])
    refused = await app.refused(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(
        audience=audience, text=pb.BroadcastText(subject_zh=" ", body_zh="x" * 2001, subject_en="only English")),
        admin)
    assert isinstance(refused, errors.InvalidInput)
    assert {p.field for p in refused.problems} == {"subject_zh", "body_zh", "body_en"}
    assert all(p.message_zh and p.message_en for p in refused.problems)
    refused = await app.refused(stub.PreviewBroadcast, pb.PreviewBroadcastRequest(
        audience=pb.BroadcastAudience(plan_id=app.plan_ids["110108"], point_code="11010801"), text=TEXT), admin)
    assert [p.field for p in refused.problems] == ["audience"]
    # One recipient now, but the preview said two: nothing is sent, the new count is named.
    refused = await app.refused(stub.SendBroadcast, pb.SendBroadcastRequest(
        audience=audience, text=TEXT, idempotency_key="k1", expected_count=2), admin)
    assert isinstance(refused, errors.InvalidInput) and "1 人" in refused.problems[0].message_zh
    nobody = pb.BroadcastAudience(plan_id=app.plan_ids["110108"], statuses=[status_pb2.REGISTERED])
    refused = await app.refused(stub.SendBroadcast, pb.SendBroadcastRequest(
        audience=nobody, text=TEXT, idempotency_key="k2", expected_count=0), admin)
    assert [(p.field, p.code) for p in refused.problems] == [("audience", "R-STAFF-7")]
    refused = await app.refused(stub.SendBroadcast, pb.SendBroadcastRequest(
        audience=audience, text=TEXT, idempotency_key="", expected_count=1), admin)
    assert [p.field for p in refused.problems] == ["idempotency_key"]
    assert await app.count(orm.broadcasts) == 0 and await app.events("BroadcastPosted") == 0
