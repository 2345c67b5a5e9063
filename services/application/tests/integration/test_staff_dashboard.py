"""The staff dashboard's figures (issue 20 part 8) over gRPC against the real service on
PostgreSQL (and SQLite): counts by status per authority and point, submissions and confirmations per day
(Beijing dates, zeros included), each viewer seeing only their organisation (R-STAFF-4)."""

from __future__ import annotations

from datetime import timedelta

from tqr.application.v1 import dashboard_pb2, dashboard_pb2_grpc, staff_pb2
from tqr.application.v1.status_pb2 import ApplicationStatus
from tqr_application.adapters import orm

DAY = timedelta(days=1)


def counts(place) -> dict[str, int]:
    return {ApplicationStatus.Name(c.status).removeprefix("APPLICATION_STATUS_"): c.count for c in place.counts}


async def figures(app, actor, days: int = 0):
    stub = dashboard_pb2_grpc.StaffDashboardServiceStub(app.channel)
    return await app.call(stub.GetStaffDashboard, dashboard_pb2.GetStaffDashboardRequest(days=days), actor)


async def confirm(app, h, application_id: str, point: str) -> None:
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=application_id, action="CONFIRM_ON_SITE"), h.staff("POINT_STAFF", point))


async def test_the_dashboard_counts_by_status_point_and_day_within_the_viewers_organisation(any_app, h):
    app = any_app  # PostgreSQL, and SQLite for `make run` without a PostgreSQL URL
    # Day 1 (2026-03-10 in Beijing): two at 海淀一号, one at 朝阳; one 海淀 confirmed the same day.
    first = await app.submit_new(point="11010801")
    await app.submit_new(point="11010801")
    await app.submit_new(authority="110105", point="11010501")
    await confirm(app, h, first.application_id, "11010801")
    # 07:30 on 2026-03-12 in Beijing (still the 11th in UTC), then a confirmation at 00:30 on the
    # 13th in Beijing (the 12th in UTC): each counts on its Beijing date.
    app.clock.advance(seconds=int((DAY + timedelta(hours=21, minutes=30)).total_seconds()))
    later = await app.submit_new(point="11010802")
    app.clock.advance(seconds=17 * 3600)
    await confirm(app, h, later.application_id, "11010802")

    admin = await figures(app, h.staff("AUTHORITY_ADMIN", "110108"))
    assert [(a.authority_code, a.total) for a in admin.authorities] == [("110108", 3)]
    assert counts(admin.authorities[0]) == {"SUBMITTED": 1, "CONFIRMED": 2}
    assert admin.authorities[0].authority_name == "区110108教育委员会"
    by_point = {p.point_code: p for p in admin.points}
    assert set(by_point) == {"11010801", "11010802"}
    assert counts(by_point["11010801"]) == {"SUBMITTED": 1, "CONFIRMED": 1}
    assert by_point["11010801"].point_name == "海淀一号确认点"
    assert counts(by_point["11010802"]) == {"CONFIRMED": 1}
    assert len(admin.days) == 14 and admin.days[0].date == "2026-02-28" and admin.days[-1].date == "2026-03-13"
    per_day = {d.date: (d.submitted, d.confirmed) for d in admin.days}
    assert per_day["2026-03-10"] == (2, 1)  # 朝阳's submission is not 海淀's
    assert per_day["2026-03-11"] == (0, 0) and per_day["2026-03-12"] == (1, 0) and per_day["2026-03-13"] == (0, 1)
    assert sum(s for s, _ in per_day.values()) == 3

    point = await figures(app, h.staff("POINT_STAFF", "11010801"), days=3)
    assert [p.point_code for p in point.points] == ["11010801"] and point.authorities[0].total == 2
    assert [(d.date, d.submitted, d.confirmed) for d in point.days] == [
        ("2026-03-11", 0, 0), ("2026-03-12", 0, 0), ("2026-03-13", 0, 0)]

    everyone = await figures(app, h.staff("SYSTEM_ADMIN", ""))
    assert {a.authority_code: a.total for a in everyone.authorities} == {"110108": 3, "110105": 1}
    assert {(p.authority_code, p.point_code) for p in everyone.points} == {
        ("110108", "11010801"), ("110108", "11010802"), ("110105", "11010501")}
    assert sum(d.submitted for d in everyone.days) == 4 and sum(d.confirmed for d in everyone.days) == 2


async def test_the_dashboard_refuses_other_roles_and_bad_input_and_changes_nothing(app, h):
    await app.submit_new()
    audit = orm.audit_log
    before = await app.count(audit)
    refused = await app.refused(dashboard_pb2_grpc.StaffDashboardServiceStub(app.channel).GetStaffDashboard,
                                dashboard_pb2.GetStaffDashboardRequest(), h.staff("IDENTITY_REVIEWER", ""))
    assert refused.code == "R-STAFF-4"
    refused = await app.refused(dashboard_pb2_grpc.StaffDashboardServiceStub(app.channel).GetStaffDashboard,
                                dashboard_pb2.GetStaffDashboardRequest(days=400), h.staff("AUTHORITY_ADMIN", "110108"))
    assert refused.code == "INVALID_INPUT" and refused.problems[0].field == "days"
    assert await app.count(audit) == before
    await figures(app, h.staff("AUTHORITY_ADMIN", "110108"))
    assert await app.count(audit, audit.c.action == "VIEW_DASHBOARD", audit.c.actor_org == "110108") == 1


async def test_r_slot_1_the_dashboard_shows_each_points_slot_use_from_today_within_the_viewers_scope(app, h):
    from tqr.application.v1 import slots_pb2, slots_pb2_grpc, wizard_pb2

    slots = slots_pb2_grpc.AppointmentServiceStub(app.channel)

    async def publish(point: str, date: str, capacity: int) -> str:
        reply = await app.call(slots.PublishSlot, slots_pb2.PublishSlotRequest(
            point_code=point, date=date, start_time="09:00", end_time="10:00", capacity=capacity),
            h.staff("POINT_STAFF", point))
        return reply.slot.slot_id

    first = await publish("11010801", "2026-03-12", 10)
    await publish("11010801", "2026-03-13", 5)
    cancelled = await publish("11010801", "2026-03-14", 7)
    await app.call(slots.CancelSlot, slots_pb2.CancelSlotRequest(slot_id=cancelled, reason="停电"),
                   h.staff("POINT_STAFF", "11010801"))
    await publish("11010501", "2026-03-12", 3)
    who = h.new_applicant()
    await app.fill_until_point(who)
    await app.save(who, point=wizard_pb2.PointStep(point_code="11010801", slot_id=first))

    admin = await figures(app, h.staff("AUTHORITY_ADMIN", "110108"))
    assert [(s.point_code, s.point_name, s.slots, s.capacity, s.booked) for s in admin.slot_use] == [
        ("11010801", "海淀一号确认点", 2, 15, 1)]  # the cancelled slot and 朝阳's are not 海淀's use
    everyone = await figures(app, h.staff("SYSTEM_ADMIN", ""))
    assert {s.point_code: s.capacity for s in everyone.slot_use} == {"11010801": 15, "11010501": 3}
    app.clock.advance(seconds=3 * 24 * 3600)  # 2026-03-13 in Beijing: the 12th's slot is past
    assert [(s.slots, s.capacity, s.booked) for s in (await figures(app, h.staff("POINT_STAFF", "11010801"))).slot_use] \
        == [(1, 5, 0)]
