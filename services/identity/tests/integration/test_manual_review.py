"""Manual review (R-ID-9) and its decision by identity reviewers (R-STAFF-3, R-STAFF-4)."""

from __future__ import annotations

from datetime import date

import pytest
from servicekit.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from sqlalchemy import delete, select
from tqr.identity.v1 import events_pb2
from tqr_identity.adapters import orm
from tqr_identity.adapters.crypto.personal_data import PersonalDataError, generate_key
from tqr_identity.service_layer import attachments, profile, reviews, verification
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.model import CaseStatus, RealNameStatus

pytestmark = pytest.mark.redis
REVIEWER = Caller("staff-reviewer-1", "IDENTITY_REVIEWER", "")


async def failed_account(ctx, steps) -> str:
    account_id, _ = await steps.register(ctx)
    assert not (await verification.verify_real_name(ctx, account_id)).verified
    return account_id


def photo(steps, name: str = "id.png") -> attachments.Upload:
    return attachments.Upload(name, steps.png_bytes())


async def test_r_id_9_a_review_is_pending_with_a_due_date_seven_working_days_ahead(make_ctx, steps) -> None:
    ctx = await make_ctx(holidays="2026-03-03")  # the clock starts on Sunday 2026-03-01 (China)
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)], note="证件照片")
    # Mon 2, (Tue 3 holiday), Wed 4, Thu 5, Fri 6, Mon 9, Tue 10, Wed 11: the 7th working day.
    assert case.status is CaseStatus.PENDING and case.due_date == date(2026, 3, 11)
    assert len(case.photo_ids) == 1
    details = await profile.get_account(ctx, account_id)
    assert details.account.real_name_status is RealNameStatus.PENDING_REVIEW
    assert details.pending_review_due == date(2026, 3, 11)
    [event] = await steps.outbox_events(ctx, events_pb2.ManualReviewRequested)
    assert (event.case_id, event.due_date) == (case.id, "2026-03-11")


async def test_r_id_9_while_pending_no_edits_no_reverification_no_second_review(ctx, steps) -> None:
    account_id = await failed_account(ctx, steps)
    await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    with pytest.raises(RuleViolation) as edit:
        await profile.update_profile(ctx, account_id, profile.ProfileChanges(ethnicity="汉族"))
    with pytest.raises(RuleViolation) as verify:
        await verification.verify_real_name(ctx, account_id)
    with pytest.raises(RuleViolation) as again:
        await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    assert edit.value.code == verify.value.code == again.value.code == "R-ID-9"


async def test_r_id_9_photos_are_checked_by_content_and_size(make_ctx, steps) -> None:
    ctx = await make_ctx(max_photo_bytes=2000)
    account_id = await failed_account(ctx, steps)
    for upload in (attachments.Upload("id.jpg", b"%PDF-1.4 not an image"),
                   attachments.Upload("big.png", steps.png_bytes((400, 400)) + b"\0" * 3000)):
        with pytest.raises(InvalidInput) as caught:
            await reviews.request_manual_review(ctx, account_id, [upload])
        assert caught.value.problems[0].field == "photos"
    with pytest.raises(InvalidInput):
        await reviews.request_manual_review(ctx, account_id, [])
    assert (await profile.get_account(ctx, account_id)).account.real_name_status is RealNameStatus.FAILED


async def test_r_staff_3_a_reviewer_approves_and_the_account_is_verified(ctx, steps) -> None:
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    pending, total = await reviews.list_manual_reviews(ctx, REVIEWER, "", 20, 0)
    assert total == 1 and pending[0].id == case.id and pending[0].masked_document_number
    content_type, content = await attachments.read_photo(ctx, REVIEWER, case.photo_ids[0])
    assert content_type == "image/png" and content == steps.png_bytes()
    decided = await reviews.decide_manual_review(ctx, REVIEWER, case.id, "APPROVED", "")
    assert decided.status is CaseStatus.APPROVED and decided.decided_by == REVIEWER.subject_id
    assert (await profile.get_account(ctx, account_id)).account.real_name_status is RealNameStatus.VERIFIED
    [event] = await steps.outbox_events(ctx, events_pb2.ManualReviewDecided)
    assert (event.account_id, event.decision) == (account_id, "APPROVED")
    with pytest.raises(RuleViolation):  # decided once
        await reviews.decide_manual_review(ctx, REVIEWER, case.id, "REJECTED", "重复")


async def test_r_staff_3_a_rejection_needs_a_reason_and_leaves_the_account_failed(ctx, steps) -> None:
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    with pytest.raises(InvalidInput) as caught:
        await reviews.decide_manual_review(ctx, REVIEWER, case.id, "REJECTED", "  ")
    assert caught.value.problems[0].field == "reason"
    await reviews.decide_manual_review(ctx, REVIEWER, case.id, "REJECTED", "照片模糊，请重新拍摄")
    assert (await profile.get_account(ctx, account_id)).account.real_name_status is RealNameStatus.FAILED
    assert await reviews.request_manual_review(ctx, account_id, [photo(steps)])  # may try again


async def test_r_staff_3_only_identity_reviewers_see_and_decide_cases(ctx, steps) -> None:
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    for caller in (Caller(account_id, "APPLICANT"), Caller("a1", "AUTHORITY_ADMIN", "110108")):
        with pytest.raises(PermissionDenied):
            await reviews.decide_manual_review(ctx, caller, case.id, "APPROVED", "")
        with pytest.raises(PermissionDenied):
            await reviews.list_manual_reviews(ctx, caller, "", 20, 0)
    assert await attachments.read_photo(ctx, Caller(account_id, "APPLICANT"), case.photo_ids[0])
    with pytest.raises(NotFound):  # another applicant may not even learn that it exists
        await attachments.read_photo(ctx, Caller("someone-else", "APPLICANT"), case.photo_ids[0])


async def test_r_staff_4_every_decision_is_audited_with_who_where_and_why(ctx, steps) -> None:
    reviewer = Caller("staff-7", "IDENTITY_REVIEWER", "CENTRE")
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    await reviews.decide_manual_review(ctx, reviewer, case.id, "REJECTED", "证件已过期")
    async with ctx.reading() as session:
        rows = (await session.execute(select(orm.staff_audit))).mappings().all()
    assert [(r["staff_id"], r["role"], r["organisation_code"], r["target_id"], r["decision"], r["reason"])
            for r in rows] == [("staff-7", "IDENTITY_REVIEWER", "CENTRE", case.id, "REJECTED", "证件已过期")]


async def test_r_id_9_document_photos_are_encrypted_in_the_database_and_read_back_whole(make_ctx, steps) -> None:
    ctx = await make_ctx()
    account_id = await failed_account(ctx, steps)
    original = steps.png_bytes()
    case = await reviews.request_manual_review(ctx, account_id, [attachments.Upload("id.png", original)])
    async with ctx.reading() as session:
        [row] = (await session.execute(select(orm.photo_contents))).all()
    assert row.photo_id == case.photo_ids[0] and row.key_id == ctx.crypto.cipher.primary_key_id
    assert b"PNG" not in row.sealed and original[16:48] not in row.sealed  # a photo shows the document number
    content_type, content = await attachments.read_photo(ctx, REVIEWER, case.photo_ids[0])
    assert (content_type, content) == ("image/png", original)


async def test_r_id_9_photos_sealed_with_an_older_key_still_open_after_a_rotation(make_ctx, steps) -> None:
    old_key, new_key = f"k1:{generate_key()}", f"k2:{generate_key()}"
    ctx = await make_ctx(personal_data_keys=old_key, personal_data_primary_key_id="k1")
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    url = str(ctx.settings.database_url)
    rotated = await make_ctx(url, personal_data_keys=f"{new_key},{old_key}", personal_data_primary_key_id="k2")
    content_type, content = await attachments.read_photo(rotated, REVIEWER, case.photo_ids[0])
    assert (content_type, content) == ("image/png", steps.png_bytes())
    without_old = await make_ctx(url, personal_data_keys=new_key, personal_data_primary_key_id="k2")
    with pytest.raises(PersonalDataError):
        await attachments.read_photo(without_old, REVIEWER, case.photo_ids[0])


async def test_r_id_9_a_photo_row_without_stored_bytes_is_not_found(ctx, steps) -> None:
    """Photos taken before they were kept in the database (migration 0004) have rows but no bytes."""
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    async with ctx.transaction() as session:
        await session.execute(delete(orm.photo_contents))
    with pytest.raises(NotFound):
        await attachments.read_photo(ctx, REVIEWER, case.photo_ids[0])


async def test_r_staff_3_a_reviewer_reveals_the_document_number_audited_others_refused(ctx, steps) -> None:
    account_id = await failed_account(ctx, steps)
    case = await reviews.request_manual_review(ctx, account_id, [photo(steps)])
    account = (await profile.get_account(ctx, account_id)).account
    for caller in (Caller(account_id, "APPLICANT", ""), Caller("p-1", "POINT_STAFF", "11010801"),
                   Caller("a-1", "AUTHORITY_ADMIN", "110108")):
        with pytest.raises(PermissionDenied):
            await reviews.reveal_document_number(ctx, caller, case.id)
    with pytest.raises(NotFound):
        await reviews.reveal_document_number(ctx, REVIEWER, "no-such-case")
    assert await reviews.reveal_document_number(ctx, REVIEWER, case.id) == account.document_number
    listed, _ = await reviews.list_manual_reviews(ctx, REVIEWER, "", 20, 0)
    assert listed[0].masked_document_number != account.document_number  # the queue stays masked
    t = orm.staff_audit
    async with ctx.reading() as session:
        rows = (await session.execute(select(t.c.staff_id, t.c.role, t.c.at).where(
            t.c.target_id == case.id, t.c.action == "REVEAL_DOCUMENT_NUMBER"))).all()
    assert [(r.staff_id, r.role) for r in rows] == [(REVIEWER.subject_id, "IDENTITY_REVIEWER")] and rows[0].at


async def test_r_staff_10_overdue_reviews_are_escalated_once_counted_and_run_once_across_replicas(
        make_ctx, steps, pg_url) -> None:
    """R-STAFF-10: a manual review past its due date is escalated once, counted by the gauge, and
    the job runs once however many replicas run it."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from prometheus_client import REGISTRY
    from servicekit.clock import ManualClock
    from tqr_identity.bootstrap import build_scheduler

    def overdue_gauge() -> float | None:
        return REGISTRY.get_sample_value("tqr_identity_manual_reviews_overdue")

    clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Monday 09:00 in China
    ctx = await make_ctx(pg_url, clock=clock)
    late = await reviews.request_manual_review(ctx, await failed_account(ctx, steps), [photo(steps)])
    clock.advance(days=1)
    on_time = await reviews.request_manual_review(ctx, await failed_account(ctx, steps), [photo(steps)])
    assert (late.due_date, on_time.due_date) == (date(2026, 3, 11), date(2026, 3, 12))
    replicas = [build_scheduler(ctx, ctx.settings) for _ in range(2)]  # two replicas, one database

    clock.set(datetime(2026, 3, 11, 15, 59, tzinfo=UTC))  # 23:59 on the due date in China: in time
    assert await replicas[0].run_due() == {"escalate-overdue-reviews": 0}
    assert overdue_gauge() == 0
    clock.set(datetime(2026, 3, 11, 16, 0, tzinfo=UTC))  # midnight in China: one day past due
    results = await asyncio.gather(*(r.run_due() for r in replicas))
    assert sorted(r.get("escalate-overdue-reviews", -1) for r in results) == [-1, 1]  # one replica ran it
    assert overdue_gauge() == 1  # every replica counts
    listed, _ = await reviews.list_manual_reviews(ctx, REVIEWER, "", 20, 0)
    assert [(c.id, c.escalated_at) for c in listed] == [(late.id, clock.now()), (on_time.id, None)]
    # Once: the next slot runs the job again and escalates nothing new; the count stays.
    clock.advance(timedelta(minutes=15))
    results = await asyncio.gather(*(r.run_due() for r in replicas))
    assert sorted(r.get("escalate-overdue-reviews", -1) for r in results) == [-1, 0]
    async with ctx.reading() as session:
        audited = (await session.execute(select(orm.staff_audit).where(
            orm.staff_audit.c.action == reviews.ESCALATE_ACTION))).all()
    assert [(a.target_id, a.role) for a in audited] == [(late.id, "SYSTEM")]
    # Decided, it is no longer counted.
    await reviews.decide_manual_review(ctx, REVIEWER, late.id, "APPROVED", "")
    await replicas[1].run_due()
    assert overdue_gauge() == 0
