"""R-ID-9 manual review (人工审核) and its decision by an identity reviewer (R-STAFF-3, R-STAFF-4)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from servicekit.errors import FieldProblem, InvalidInput, NotFound, RuleViolation

from tqr_identity.adapters.case_repository import REVIEW
from tqr_identity.domain.working_days import china_date, manual_review_due_date
from tqr_identity.metrics import MANUAL_REVIEWS_OVERDUE
from tqr_identity.service_layer import attachments, events
from tqr_identity.service_layer.access import Caller, require_reviewer
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import CaseStatus, Decision, ManualReview, RealNameStatus
from tqr_identity.service_layer.profile import account_missing, load_account, refuse_while_review_pending

log = logging.getLogger(__name__)
RULE = "R-ID-9"
MAX_PAGE_SIZE = 200


def _refuse(zh: str, en: str) -> RuleViolation:
    return RuleViolation(RULE, zh, en)


def parse_decision(raw: str, reason: str, rule: str) -> tuple[Decision, str]:
    """APPROVED or REJECTED; a rejection needs a reason the applicant will read."""
    try:
        decision = Decision(raw.strip().upper())
    except ValueError:
        raise InvalidInput([FieldProblem("decision", rule, "请选择通过或不通过", "Choose approve or reject")],
                           code=rule) from None
    reason = reason.strip()
    if decision is Decision.REJECTED and not reason:
        raise InvalidInput([FieldProblem("reason", rule, "请填写不通过的原因，申请人会看到它",
                                         "Give the reason for rejecting; the applicant will read it")], code=rule)
    return decision, reason


def page_bounds(page_size: int, page: int) -> tuple[int, int]:
    size = min(max(page_size or 20, 1), MAX_PAGE_SIZE)
    return size, max(page, 0) * size


def status_filter(raw: str) -> str | None:
    """PENDING by default; "ALL" for every case."""
    value = (raw or CaseStatus.PENDING.value).strip().upper()
    if value == "ALL":
        return None
    if value not in CaseStatus.__members__:
        raise InvalidInput([FieldProblem("status", "INVALID_STATUS", "请选择状态", "Choose a status")])
    return value


async def request_manual_review(ctx: IdentityContext, account_id: str, uploads: Sequence[attachments.Upload],
                                note: str = "") -> ManualReview:
    account = await load_account(ctx, account_id)
    _check_may_request(account.real_name_status)
    photos = attachments.check_uploads(ctx, uploads, RULE)
    now = ctx.now()
    case = ManualReview(
        id=str(uuid.uuid4()), account_id=account_id, status=CaseStatus.PENDING, name=account.name,
        note=note.strip()[:500], submitted_at=now, due_date=manual_review_due_date(now, ctx.calendar),
    )
    async with ctx.transaction() as session:
        current = await ctx.accounts.get(session, account_id, for_update=True)
        if current is None:
            raise account_missing()
        _check_may_request(current.real_name_status)  # again, under the row lock
        await ctx.cases.add_review(session, case)
        await attachments.record(ctx, session, photos, owner_kind=REVIEW, owner_id=case.id, account_id=account_id)
        await ctx.accounts.save(session, current.with_changes(
            real_name_status=RealNameStatus.PENDING_REVIEW, updated_at=now))
        await events.manual_review_requested(ctx, session, account_id, case.id, case.due_date)
    log.info("manual review requested", extra={"account_id": account_id, "case_id": case.id})
    async with ctx.reading() as session:
        stored = await ctx.cases.review(session, case.id)
    return stored or case


def _check_may_request(status: RealNameStatus) -> None:
    if status is RealNameStatus.PENDING_REVIEW:
        raise refuse_while_review_pending()
    if status is RealNameStatus.VERIFIED:
        raise _refuse("您已通过实名核验，无需人工审核", "You have passed real-name verification; no review is needed")
    if status is RealNameStatus.UNVERIFIED:
        raise _refuse("请先进行实名核验；核验未通过时可以申请人工审核",
                      "Verify your real name first; if it does not succeed you can request a manual review")


async def list_manual_reviews(ctx: IdentityContext, caller: Caller, status: str, page_size: int, page: int
                              ) -> tuple[list[ManualReview], int]:
    require_reviewer(caller)
    limit, offset = page_bounds(page_size, page)
    async with ctx.reading() as session:
        return await ctx.cases.list_reviews(session, status_filter(status), limit, offset)


async def my_pending_review(ctx: IdentityContext, account_id: str) -> ManualReview | None:
    async with ctx.reading() as session:
        return await ctx.cases.pending_review_of(session, account_id)


async def decide_manual_review(ctx: IdentityContext, caller: Caller, case_id: str, decision_text: str,
                               reason_text: str) -> ManualReview:
    reviewer = require_reviewer(caller)
    decision, reason = parse_decision(decision_text, reason_text, RULE)
    now = ctx.now()
    async with ctx.transaction() as session:
        case = await ctx.cases.review(session, case_id, for_update=True)
        if case is None:
            raise NotFound("CASE_NOT_FOUND", "未找到该审核", "Review case not found")
        if case.status is not CaseStatus.PENDING:
            raise RuleViolation("R-STAFF-3", "该审核已处理过", "This review has already been decided")
        account = await ctx.accounts.get(session, case.account_id, for_update=True)
        if account is None:
            raise account_missing()
        status = CaseStatus(decision.value)
        await ctx.cases.decide_review(session, case_id, status, reviewer.subject_id, now, reason)
        verified = decision is Decision.APPROVED
        await ctx.accounts.save(session, account.with_changes(
            real_name_status=RealNameStatus.VERIFIED if verified else RealNameStatus.FAILED,
            real_name_checked_at=now if verified else account.real_name_checked_at, updated_at=now))
        await ctx.cases.audit(session, at=now, staff_id=reviewer.subject_id, role=reviewer.role,
                              organisation_code=reviewer.organisation_code, action="DECIDE_MANUAL_REVIEW",
                              target_kind=REVIEW, target_id=case_id, decision=decision.value, reason=reason)
        await events.manual_review_decided(ctx, session, case.account_id, case_id, decision.value, reason)
        decided = await ctx.cases.review(session, case_id)
    log.info("manual review decided", extra={"case_id": case_id, "decision": decision.value,
                                             "staff_id": reviewer.subject_id})
    assert decided is not None
    return decided


async def reveal_document_number(ctx: IdentityContext, caller: Caller, case_id: str) -> str:
    """The applicant's document number in full, for the reviewer comparing it with the photo of the
    document (R-STAFF-3). Identity reviewers only; every reveal is audited (who, which case, when),
    in the same transaction that reads the number. Everywhere else the number stays masked."""
    reviewer = require_reviewer(caller)
    now = ctx.now()
    async with ctx.transaction() as session:
        case = await ctx.cases.review(session, case_id.strip()) if case_id.strip() else None
        if case is None:
            raise NotFound("CASE_NOT_FOUND", "未找到该审核", "Review case not found")
        account = await ctx.accounts.get(session, case.account_id)
        if account is None:
            raise account_missing()
        await ctx.cases.audit(session, at=now, staff_id=reviewer.subject_id, role=reviewer.role,
                              organisation_code=reviewer.organisation_code, action="REVEAL_DOCUMENT_NUMBER",
                              target_kind=REVIEW, target_id=case.id, decision="", reason="")
    log.info("document number revealed", extra={"case_id": case.id, "staff_id": reviewer.subject_id})
    return account.document_number


# --- R-STAFF-10: reviews past their due date ------------------------------------------------------

ESCALATE_ACTION = "ESCALATE_OVERDUE_REVIEW"


async def escalate_overdue_reviews(ctx: IdentityContext, now: datetime) -> int:
    """A scheduled job: every pending review whose due date (R-ID-9, China time) has passed is
    escalated once: marked, so the reviewers' queue shows it as overdue at the top, audited as the
    system's action, and logged for the operators. Returns how many it escalated this time."""
    async with ctx.transaction() as session:
        ids = await ctx.cases.escalate_overdue_reviews(session, china_date(now), now)
        for case_id in ids:
            await ctx.cases.audit(session, at=now, staff_id="system", role="SYSTEM", organisation_code="",
                                  action=ESCALATE_ACTION, target_kind=REVIEW, target_id=case_id,
                                  decision="", reason="past its due date (R-STAFF-10)")
    for case_id in ids:
        log.warning("manual review past its due date, escalated to the reviewers (R-STAFF-10)",
                    extra={"case_id": case_id})
    return len(ids)


async def count_overdue_reviews(ctx: IdentityContext, now: datetime) -> None:
    """Every replica, every scheduler pass: the gauge the R-STAFF-10 alert watches."""
    async with ctx.reading() as session:
        MANUAL_REVIEWS_OVERDUE.set(await ctx.cases.count_overdue_reviews(session, china_date(now)))
