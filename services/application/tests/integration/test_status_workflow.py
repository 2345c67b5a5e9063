"""R-APP-2 through the service: every legal and illegal transition, persisted with history and an
outbox event; concurrent conflicting actions have exactly one winner."""

from __future__ import annotations

import asyncio

import pytest
from servicekit import errors
from sqlalchemy import select
from tqr.application.v1 import applications_pb2, events_pb2, staff_pb2, status_pb2
from tqr_application.adapters import orm
from tqr_application.domain.status import TRANSITIONS, ApplicationStatus, StatusAction
from tqr_application.service_layer.staff import ON_SITE_ACTIONS

S, A = ApplicationStatus, StatusAction
# How to reach each status from SUBMITTED (each step by the role shown).
PATHS: dict[ApplicationStatus, list[tuple[StatusAction, str]]] = {
    S.SUBMITTED: [],
    S.MATERIALS_INCOMPLETE: [(A.MARK_MATERIALS_INCOMPLETE, "POINT_STAFF")],
    S.CONFIRMED: [(A.CONFIRM_ON_SITE, "POINT_STAFF")],
    S.WRONG_AUTHORITY: [(A.MARK_WRONG_AUTHORITY, "POINT_STAFF")],
    S.NOT_ELIGIBLE: [(A.MARK_NOT_ELIGIBLE, "POINT_STAFF")],
    S.REGISTERED: [(A.CONFIRM_ON_SITE, "POINT_STAFF"), (A.APPROVE_REGISTERED, "AUTHORITY_ADMIN")],
    S.DEFERRED: [(A.CONFIRM_ON_SITE, "POINT_STAFF"), (A.DEFER, "AUTHORITY_ADMIN")],
    S.REJECTED: [(A.CONFIRM_ON_SITE, "POINT_STAFF"), (A.REJECT, "AUTHORITY_ADMIN")],
    S.WITHDRAWN: [(A.WITHDRAW, "APPLICANT")],
}


async def act(app, h, submitted, who, action: StatusAction, role: str, version: int = 0):
    """Take ``action`` as ``role`` through the RPC that role uses."""
    app_id = submitted.application_id
    app.clock.advance(seconds=1)  # events are ordered by their (manual) time
    reason = "理由说明"
    missing = ["学历证书复印件"] if action is A.MARK_MATERIALS_INCOMPLETE else []
    if role == "APPLICANT":
        if action is A.WITHDRAW:
            return await app.call(app.applicant.WithdrawApplication, applications_pb2.WithdrawApplicationRequest(
                application_id=app_id, reason=reason, expected_version=version), who.actor)
        return await app.call(app.applicant.CorrectAuthority, applications_pb2.CorrectAuthorityRequest(
            application_id=app_id, authority_code="110105", point_code="11010501", expected_version=version),
            who.actor)
    if role == "POINT_STAFF":
        actor = h.staff("POINT_STAFF", "11010801")
    else:
        actor = h.staff("AUTHORITY_ADMIN", "110108")
    if role == "POINT_STAFF" or (action in ON_SITE_ACTIONS and action is not A.MARK_NOT_ELIGIBLE):
        return await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
            application_id=app_id, action=action.value, reason=reason, missing_materials=missing,
            expected_version=version), actor)
    return await app.call(app.staff.DecideApplication, staff_pb2.DecideApplicationRequest(
        application_id=app_id, action=action.value, reason=reason, expected_version=version), actor)


async def reach(app, h, status: ApplicationStatus):
    who = h.new_applicant()
    submitted = await app.submit_new(who)
    for action, role in PATHS[status]:
        await act(app, h, submitted, who, action, role)
    return who, submitted


async def history_of(app, application_id):
    async with app.ctx.sessions() as session:
        return (await session.execute(select(orm.status_history).where(
            orm.status_history.c.application_id == application_id).order_by(orm.status_history.c.id))).all()


async def last_status_event(app, application_id):
    async with app.ctx.sessions() as session:
        rows = (await session.execute(select(orm.outbox.c.envelope).where(
            orm.outbox.c.aggregate_id == application_id,
            orm.outbox.c.event_type == "tqr.application.v1.ApplicationStatusChanged",
        ).order_by(orm.outbox.c.created_at))).all()
    from servicekit import envelope
    event = events_pb2.ApplicationStatusChanged()
    envelope.parse(rows[-1].envelope).payload.Unpack(event)
    return len(rows), event


async def test_r_app_2_every_legal_transition_is_stored_with_history_and_event(app, h):
    for transition in TRANSITIONS:
        if transition.action is A.EXPIRE_UNCONFIRMED:
            continue  # the system's, at the end of a confirmation window: test_deadline_jobs.py
        for role in sorted(r.value for r in transition.roles):
            who, submitted = await reach(app, h, transition.from_status)
            before = len(await history_of(app, submitted.application_id))
            reply = await act(app, h, submitted, who, transition.action, role)
            view = reply.application
            assert status_pb2.ApplicationStatus.Name(view.status.status) == transition.to_status.value, (transition, role)
            history = await history_of(app, submitted.application_id)
            assert len(history) == before + 1
            last = history[-1]
            assert (last.from_status, last.to_status, last.action, last.actor_role) == (
                transition.from_status.value, transition.to_status.value, transition.action.value, role)
            assert last.reason == ("" if transition.action is A.CORRECT_AUTHORITY else "理由说明")
            count, event = await last_status_event(app, submitted.application_id)
            assert count == len(PATHS[transition.from_status]) + 1
            assert (status_pb2.ApplicationStatus.Name(event.from_status),
                    status_pb2.ApplicationStatus.Name(event.to_status), event.actor_role) == (
                transition.from_status.value, transition.to_status.value, role)
            if transition.action is A.MARK_MATERIALS_INCOMPLETE:
                assert list(event.missing_materials) == ["学历证书复印件"]
                assert list(view.status.missing_materials) == ["学历证书复印件"]


async def test_r_app_2_every_illegal_transition_is_refused_and_changes_nothing(app, h):
    legal = {(t.from_status, t.action) for t in TRANSITIONS}
    for status in S:
        if status not in PATHS:
            continue  # OVERDUE_UNCONFIRMED, reached only by the scheduled job: test_deadline_jobs.py
        who, submitted = await reach(app, h, status)
        history = len(await history_of(app, submitted.application_id))
        for action in A:
            if (status, action) in legal or action is A.EXPIRE_UNCONFIRMED:
                continue  # no RPC takes EXPIRE_UNCONFIRMED: the system's job (test_deadline_jobs.py)
            role = {A.WITHDRAW: "APPLICANT", A.CORRECT_AUTHORITY: "APPLICANT"}.get(
                action, "POINT_STAFF" if action in ON_SITE_ACTIONS else "AUTHORITY_ADMIN")
            with pytest.raises(Exception) as caught:
                await act(app, h, submitted, who, action, role)
            problem = h.refusal(caught)
            assert isinstance(problem, errors.RuleViolation | errors.PermissionDenied), (status, action, problem)
            assert problem.code in ("R-APP-2", "R-APP-3"), (status, action, problem.code)
        assert len(await history_of(app, submitted.application_id)) == history
        count, _ = await last_status_event(app, submitted.application_id) if PATHS[status] else (0, None)
        assert count == len(PATHS[status])


async def test_r_app_2_roles_outside_the_table_are_refused(app, h):
    _, submitted = await reach(app, h, S.SUBMITTED)
    # The authority admin cannot record the on-site confirmation; the point cannot decide.
    refused = await app.refused(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=submitted.application_id, action="CONFIRM_ON_SITE"), h.staff("AUTHORITY_ADMIN", "110108"))
    assert isinstance(refused, errors.PermissionDenied)
    refused = await app.refused(app.staff.DecideApplication, staff_pb2.DecideApplicationRequest(
        application_id=submitted.application_id, action="APPROVE_REGISTERED"), h.staff("POINT_STAFF", "11010801"))
    assert isinstance(refused, errors.InvalidInput | errors.PermissionDenied)


async def test_r_app_2_concurrent_conflicting_actions_exactly_one_wins(app, h):
    _, submitted = await reach(app, h, S.SUBMITTED)
    point = h.staff("POINT_STAFF", "11010801")
    actions = ["CONFIRM_ON_SITE", "MARK_NOT_ELIGIBLE", "MARK_WRONG_AUTHORITY", "CONFIRM_ON_SITE"] * 2
    results = await asyncio.gather(*(app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=submitted.application_id, action=a, reason="x", expected_version=1), point) for a in actions),
        return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    for loser in (r for r in results if isinstance(r, BaseException)):
        from servicekit.rpc.errors import from_rpc_error
        assert isinstance(from_rpc_error(loser), errors.Conflict)
    history = await history_of(app, submitted.application_id)
    assert len(history) == 2 and history[-1].to_status == status_pb2.ApplicationStatus.Name(winners[0].application.status.status)
    count, _ = await last_status_event(app, submitted.application_id)
    assert count == 1


async def test_r_app_2_stale_version_is_a_conflict(app, h):
    _, submitted = await reach(app, h, S.SUBMITTED)
    refused = await app.refused(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=submitted.application_id, action="CONFIRM_ON_SITE", expected_version=7),
        h.staff("POINT_STAFF", "11010801"))
    assert isinstance(refused, errors.Conflict)


async def test_r_app_2_status_label_and_meaning_shown_to_the_applicant(app, h):
    who, submitted = await reach(app, h, S.MATERIALS_INCOMPLETE)
    view = (await app.call(app.applicant.GetMyApplication, applications_pb2.GetMyApplicationRequest(
        application_id=submitted.application_id), who.actor)).application
    assert view.status.label_zh == "经审核材料不全，请向确认机构提交补齐" and view.status.meaning_zh
    assert list(view.status.missing_materials) == ["学历证书复印件"]
    assert list(view.history[i].to_status for i in range(2)) == [status_pb2.SUBMITTED, status_pb2.MATERIALS_INCOMPLETE]
