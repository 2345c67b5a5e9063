"""R-STAFF-6 through the service on PostgreSQL: bulk decisions where each item is checked by its own
rules and gets its own result, an idempotent repeat, the batch bound, and work claims that two
concurrent callers cannot both win and that keep others from deciding."""

from __future__ import annotations

import asyncio
import uuid

from servicekit import errors
from servicekit.rpc.errors import from_rpc_error
from sqlalchemy import select
from tqr.application.v1 import staff_pb2, status_pb2
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import Role
from tqr_application.adapters import orm
from tqr_application.service_layer import work

APPROVE = status_pb2.APPROVE_REGISTERED


def refusal_of(exc: BaseException) -> errors.ServiceError:
    found = from_rpc_error(exc)  # type: ignore[arg-type]
    assert found is not None, exc
    return found


def admin(subject: str, name: str, org: str = "110108") -> Actor:
    return Actor(subject_id=subject, role=Role.Value("ROLE_AUTHORITY_ADMIN"), organisation_code=org,
                 display_name=name)


async def submitted(app, h, count: int, *, point: str = "11010801", authority: str = "110108") -> list[str]:
    return [(await app.submit_new(point=point, authority=authority)).application_id for _ in range(count)]


async def confirm(app, h, application_id: str, point: str = "11010801") -> None:
    await app.call(app.staff.RecordOnSiteResult, staff_pb2.RecordOnSiteResultRequest(
        application_id=application_id, action=status_pb2.CONFIRM_ON_SITE),
        h.staff("POINT_STAFF", point))


async def rows(app, table, *where):
    async with app.ctx.sessions() as session:
        return (await session.execute(select(table).where(*where))).all()


async def test_r_staff_6_each_item_gets_its_own_result_and_a_repeat_changes_nothing(app, h):
    c1, c2, c3, s4 = await submitted(app, h, 4)
    for application_id in (c1, c2, c3):
        await confirm(app, h, application_id)
    (elsewhere,) = await submitted(app, h, 1, point="11010501", authority="110105")
    zhang, li = admin("admin-zhang", "张老师"), admin("admin-li", "李老师")
    await app.call(app.staff.ClaimApplication, staff_pb2.ClaimApplicationRequest(application_id=c3), li)
    key = uuid.uuid4().hex
    request = staff_pb2.BulkDecideRequest(application_ids=[c1, c2, c3, s4, "no-such-application", elsewhere, c1],
                                          action=APPROVE, idempotency_key=key)
    reply = await app.call(app.staff.BulkDecide, request, zhang)

    got = {r.application_id: r for r in reply.results}
    assert [r.application_id for r in reply.results] == [c1, c2, c3, s4, "no-such-application", elsewhere]
    assert (reply.succeeded, reply.refused, reply.replayed) == (2, 4, False)
    for ok in (c1, c2):
        assert got[ok].ok and got[ok].status == status_pb2.REGISTERED and got[ok].application_number
    assert got[c3].code == "R-STAFF-6" and "张老师" not in got[c3].message_zh and "李老师" in got[c3].message_zh
    assert got[c3].status == status_pb2.CONFIRMED
    assert got[s4].code == "R-APP-2" and got[s4].status == status_pb2.SUBMITTED
    assert got["no-such-application"].code == "APPLICATION_NOT_FOUND"
    assert got[elsewhere].code == "R-STAFF-4" and not got[elsewhere].application_number  # nothing revealed
    assert all(r.message_en for r in reply.results if not r.ok)

    # Each decided item is audited as a single decision is, with the bulk request's key.
    audited = await rows(app, orm.audit_log, orm.audit_log.c.action == "APPROVE_REGISTERED")
    assert sorted(r.target_id for r in audited) == sorted([c1, c2])
    assert all(r.actor_id == "admin-zhang" and r.detail["bulk"] == key for r in audited)
    (summary,) = await rows(app, orm.audit_log, orm.audit_log.c.action == "BULK_DECISION")
    assert summary.detail["succeeded"] == 2 and len(summary.detail["refused"]) == 4
    history = await rows(app, orm.status_history)
    events = await app.events("ApplicationStatusChanged")

    # The same request again: the stored results, nothing changed twice.
    again = await app.call(app.staff.BulkDecide, request, zhang)
    assert again.replayed and list(again.results) == list(reply.results)
    assert len(await rows(app, orm.status_history)) == len(history)
    assert await app.events("ApplicationStatusChanged") == events
    assert len(await rows(app, orm.audit_log, orm.audit_log.c.action.in_(["APPROVE_REGISTERED", "BULK_DECISION"]))) == 3
    (stored,) = await rows(app, orm.bulk_decisions, orm.bulk_decisions.c.idempotency_key == key)
    assert stored.actor_id == "admin-zhang" and len(stored.results) == 6

    # The same key for another request is refused; another staff member's key space is their own.
    other = staff_pb2.BulkDecideRequest(application_ids=[c3], action=APPROVE, idempotency_key=key)
    refused = await app.refused(app.staff.BulkDecide, other, zhang)
    assert isinstance(refused, errors.Conflict) and refused.code == "R-STAFF-6"
    mine = await app.call(app.staff.BulkDecide, other, li)  # li holds the claim on c3
    assert [r.ok for r in mine.results] == [True]


async def test_r_staff_6_bad_requests_change_nothing_and_the_batch_is_bounded(app, h, monkeypatch):
    c1, c2 = await submitted(app, h, 2)
    for application_id in (c1, c2):
        await confirm(app, h, application_id)
    zhang = admin("admin-zhang", "张老师")
    no_reason = staff_pb2.BulkDecideRequest(application_ids=[c1, c2], action=status_pb2.DEFER,
                                            idempotency_key=uuid.uuid4().hex)
    refused = await app.refused(app.staff.BulkDecide, no_reason, zhang)
    assert isinstance(refused, errors.InvalidInput) and refused.problems[0].field == "reason"
    no_key = staff_pb2.BulkDecideRequest(application_ids=[c1], action=APPROVE, idempotency_key="")
    refused = await app.refused(app.staff.BulkDecide, no_key, zhang)
    assert refused.problems[0].field == "idempotency_key"
    too_many = staff_pb2.BulkDecideRequest(application_ids=[f"id-{n}" for n in range(work.MAX_BULK_ITEMS + 1)],
                                           action=APPROVE, idempotency_key=uuid.uuid4().hex)
    refused = await app.refused(app.staff.BulkDecide, too_many, zhang)
    assert refused.code == "BULK_TOO_LARGE" and "500" in refused.problems[0].message_zh
    assert not await rows(app, orm.bulk_decisions)
    assert not await rows(app, orm.audit_log, orm.audit_log.c.action.in_(["DEFER", "BULK_DECISION"]))

    # By filter: what the staff list shows for the filter, within the caller's scope.
    confirmed = staff_pb2.BulkFilter(status=status_pb2.CONFIRMED)
    selection = await app.call(app.staff.ResolveBulkSelection,
                               staff_pb2.ResolveBulkSelectionRequest(filter=confirmed), zhang)
    assert sorted(a.application_id for a in selection.applications) == sorted([c1, c2])
    assert selection.max_items == work.MAX_BULK_ITEMS
    elsewhere = await app.call(app.staff.ResolveBulkSelection, staff_pb2.ResolveBulkSelectionRequest(
        filter=confirmed), admin("admin-chaoyang", "赵老师", org="110105"))
    assert not elsewhere.applications
    monkeypatch.setattr(work, "MAX_BULK_ITEMS", 1)
    refused = await app.refused(app.staff.ResolveBulkSelection,
                                staff_pb2.ResolveBulkSelectionRequest(filter=confirmed), zhang)
    assert refused.code == "BULK_TOO_LARGE"
    by_filter = staff_pb2.BulkDecideRequest(use_filter=True, filter=confirmed, action=APPROVE,
                                            idempotency_key=uuid.uuid4().hex)
    refused = await app.refused(app.staff.BulkDecide, by_filter, zhang)
    assert refused.code == "BULK_TOO_LARGE" and not await rows(app, orm.bulk_decisions)
    monkeypatch.setattr(work, "MAX_BULK_ITEMS", 500)
    reply = await app.call(app.staff.BulkDecide, by_filter, zhang)
    assert sorted(r.application_id for r in reply.results if r.ok) == sorted([c1, c2])


async def test_r_staff_6_concurrent_repeats_of_one_key_decide_each_item_once(app, h):
    ids = await submitted(app, h, 3)
    for application_id in ids:
        await confirm(app, h, application_id)
    zhang = admin("admin-zhang", "张老师")
    request = staff_pb2.BulkDecideRequest(application_ids=ids, action=APPROVE, idempotency_key=uuid.uuid4().hex)
    outcomes = await asyncio.gather(*(app.call(app.staff.BulkDecide, request, zhang) for _ in range(4)),
                                    return_exceptions=True)
    replies = [o for o in outcomes if not isinstance(o, BaseException)]
    in_progress = [refusal_of(o) for o in outcomes if isinstance(o, BaseException)]
    assert all(r.code == "BULK_IN_PROGRESS" for r in in_progress)
    assert replies and all(all(item.ok for item in r.results) for r in replies)
    assert sum(1 for r in replies if not r.replayed) == 1
    audited = await rows(app, orm.audit_log, orm.audit_log.c.action == "APPROVE_REGISTERED")
    assert sorted(r.target_id for r in audited) == sorted(ids)


async def test_r_staff_6_two_concurrent_claims_cannot_both_win(app, h):
    (application_id,) = await submitted(app, h, 1)
    await confirm(app, h, application_id)
    contenders = [admin(f"admin-{n}", f"管理员{n}") for n in range(6)]
    claim = staff_pb2.ClaimApplicationRequest(application_id=application_id)
    outcomes = await asyncio.gather(*(app.call(app.staff.ClaimApplication, claim, who) for who in contenders),
                                    return_exceptions=True)
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    losers = [refusal_of(o) for o in outcomes if isinstance(o, BaseException)]
    assert len(winners) == 1 and len(losers) == 5
    assert all(r.code == "R-STAFF-6" for r in losers)
    holder = winners[0].claim
    assert holder.mine and holder.staff_name.startswith("管理员")
    assert len(await rows(app, orm.work_claims)) == 1
    winner = next(who for who in contenders if who.subject_id == holder.staff_id)
    other = next(who for who in contenders if who.subject_id != holder.staff_id)

    # Seen in the lists' claim look-up; a single decision by another is refused with who holds it.
    listed = await app.call(app.staff.ListWorkClaims, staff_pb2.ListWorkClaimsRequest(
        application_ids=[application_id, "unknown"]), other)
    assert [(c.application_id, c.staff_name, c.mine) for c in listed.claims] == [
        (application_id, holder.staff_name, False)]
    decide = staff_pb2.DecideApplicationRequest(application_id=application_id, action=APPROVE)
    refused = await app.refused(app.staff.DecideApplication, decide, other)
    assert refused.code == "R-STAFF-6" and holder.staff_name in refused.message_zh
    assert holder.staff_name in refused.message_en
    release = staff_pb2.ReleaseApplicationClaimRequest(application_id=application_id)
    assert not (await app.call(app.staff.ReleaseApplicationClaim, release, other)).released  # not theirs

    # The claim lapses after claim_minutes: another may take it over; the holder's decision ends it.
    app.clock.advance(minutes=app.ctx.settings.claim_minutes + 1)
    taken = await app.call(app.staff.ClaimApplication, claim, other)
    assert taken.claim.staff_id == other.subject_id
    refused = await app.refused(app.staff.DecideApplication, decide, winner)
    assert refused.code == "R-STAFF-6"
    decided = await app.call(app.staff.DecideApplication, decide, other)
    assert decided.application.status.status == status_pb2.REGISTERED
    assert not await rows(app, orm.work_claims)
    actions = [r.action for r in await rows(app, orm.audit_log, orm.audit_log.c.target_id == application_id)]
    assert actions.count("CLAIM_APPLICATION") == 2


async def test_r_staff_6_released_claim_frees_the_application(app, h):
    (application_id,) = await submitted(app, h, 1)
    await confirm(app, h, application_id)
    zhang, li = admin("admin-zhang", "张老师"), admin("admin-li", "李老师")
    claim = staff_pb2.ClaimApplicationRequest(application_id=application_id)
    await app.call(app.staff.ClaimApplication, claim, zhang)
    refused = await app.refused(app.staff.ClaimApplication, claim, li)
    assert refused.code == "R-STAFF-6" and "张老师" in refused.message_zh
    assert (await app.call(app.staff.ReleaseApplicationClaim, staff_pb2.ReleaseApplicationClaimRequest(
        application_id=application_id), zhang)).released
    assert (await app.call(app.staff.ClaimApplication, claim, li)).claim.staff_name == "李老师"
    outsider = await app.refused(app.staff.ClaimApplication, claim, admin("admin-x", "赵", org="110105"))
    assert outsider.code == "R-STAFF-4"
