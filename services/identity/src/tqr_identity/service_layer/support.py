"""R-ID-10 / R-ID-11: support requests decided by staff (lost mobile or email, wrong gender,
garbled name), each with a photo of the document. Approving applies the change."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput, NotFound, RuleViolation

from tqr_identity.adapters.case_repository import SUPPORT
from tqr_identity.adapters.photo_storage import CheckedPhoto
from tqr_identity.domain.contact import email_problem, mobile_problem, normalise_email, normalise_mobile
from tqr_identity.domain.documents import Gender
from tqr_identity.service_layer import attachments, events
from tqr_identity.service_layer.access import Caller, require_reviewer
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Account, CaseStatus, Decision, SupportKind, SupportRequest
from tqr_identity.service_layer.names import name_problem, normalise_name
from tqr_identity.service_layer.profile import account_missing, load_account
from tqr_identity.service_layer.reviews import page_bounds, parse_decision, status_filter

log = logging.getLogger(__name__)
RULE = "R-ID-11"


@dataclass(frozen=True)
class NewSupportRequest:
    kind: str
    requested_name: str = ""
    requested_gender: str = ""
    requested_email: str = ""
    requested_mobile: str = ""
    explanation: str = ""

    def __repr__(self) -> str:
        return f"NewSupportRequest(kind={self.kind!r})"


def _problem(field: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field, RULE, zh, en)


def validate_request(cmd: NewSupportRequest) -> SupportKind:
    try:
        kind = SupportKind(cmd.kind.strip().upper())
    except ValueError:
        raise InvalidInput([_problem("kind", "请选择要办理的事项", "Choose what you need help with")],
                           code=RULE) from None
    problems: list[FieldProblem | None] = []
    if kind is SupportKind.CHANGE_CONTACT:
        if not cmd.requested_email.strip() and not cmd.requested_mobile.strip():
            problems.append(_problem("requested_mobile", "请填写新的手机号码或电子邮箱",
                                     "Enter the new mobile number or email address"))
        if cmd.requested_mobile.strip():
            problems.append(mobile_problem(cmd.requested_mobile))
        if cmd.requested_email.strip():
            problems.append(email_problem(cmd.requested_email))
    elif kind is SupportKind.CORRECT_NAME:
        problems.append(name_problem(cmd.requested_name, "requested_name"))
    elif cmd.requested_gender not in (Gender.MALE.value, Gender.FEMALE.value):
        problems.append(_problem("requested_gender", "请选择正确的性别", "Choose the correct gender"))
    found = [p for p in problems if p is not None]
    if found:
        raise InvalidInput(found, code=RULE)
    return kind


async def create_support_request(ctx: IdentityContext, account_id: str, cmd: NewSupportRequest,
                                 uploads: Sequence[attachments.Upload]) -> SupportRequest:
    kind = validate_request(cmd)
    photos = attachments.check_uploads(ctx, uploads, RULE)
    account = await load_account(ctx, account_id)
    request = SupportRequest(
        id=str(uuid.uuid4()), account_id=account.id, kind=kind, status=CaseStatus.PENDING,
        explanation=cmd.explanation.strip()[:1000], created_at=ctx.now(),
        requested_name=normalise_name(cmd.requested_name) if kind is SupportKind.CORRECT_NAME else "",
        requested_gender=cmd.requested_gender if kind is SupportKind.CORRECT_GENDER else "",
        requested_email=normalise_email(cmd.requested_email) if cmd.requested_email.strip() else "",
        requested_mobile=normalise_mobile(cmd.requested_mobile) if cmd.requested_mobile.strip() else "",
    )
    return await store_support_request(ctx, request, photos)


async def store_support_request(ctx: IdentityContext, request: SupportRequest, photos: list[CheckedPhoto]
                                ) -> SupportRequest:
    """The request and its photos in one transaction."""
    async with ctx.transaction() as session:
        await ctx.cases.add_support_request(session, request)
        await attachments.record(ctx, session, photos, owner_kind=SUPPORT, owner_id=request.id,
                                 account_id=request.account_id)
    log.info("support request created", extra={"account_id": request.account_id, "request_id": request.id,
                                                "kind": request.kind.value,
                                                "without_sign_in": request.without_sign_in})
    async with ctx.reading() as session:
        stored = await ctx.cases.support_request(session, request.id)
    return stored or request


async def list_support_requests(ctx: IdentityContext, caller: Caller, status: str, page_size: int, page: int
                                ) -> tuple[list[SupportRequest], int]:
    require_reviewer(caller)
    limit, offset = page_bounds(page_size, page)
    async with ctx.reading() as session:
        return await ctx.cases.list_support_requests(session, status_filter(status), limit, offset)


def applied(account: Account, request: SupportRequest) -> tuple[Account, bool]:
    """The account with the approved change, and whether its contact details changed."""
    if request.kind is SupportKind.CHANGE_CONTACT:
        return account.with_changes(mobile=request.requested_mobile or account.mobile,
                                    email=request.requested_email or account.email), True
    if request.kind is SupportKind.CORRECT_NAME:
        return account.with_changes(name=request.requested_name), False
    return account.with_changes(gender=Gender(request.requested_gender)), False


async def decide_support_request(ctx: IdentityContext, caller: Caller, request_id: str, decision_text: str,
                                 reason_text: str) -> SupportRequest:
    reviewer = require_reviewer(caller)
    decision, reason = parse_decision(decision_text, reason_text, RULE)
    now = ctx.now()
    async with ctx.transaction() as session:
        request = await ctx.cases.support_request(session, request_id, for_update=True)
        if request is None:
            raise NotFound("REQUEST_NOT_FOUND", "未找到该申请", "Support request not found")
        if request.status is not CaseStatus.PENDING:
            raise RuleViolation("R-STAFF-3", "该申请已处理过", "This request has already been decided")
        await ctx.cases.decide_support_request(session, request_id, CaseStatus(decision.value), reviewer.subject_id,
                                               now, reason)
        if decision is Decision.APPROVED:
            account = await ctx.accounts.get(session, request.account_id, for_update=True)
            if account is None:
                raise account_missing()
            changed, contacts_changed = applied(account, request)
            await ctx.accounts.save(session, changed.with_changes(updated_at=now), contacts_changed=contacts_changed)
            if contacts_changed:
                await events.contact_details_changed(ctx, session, changed)
        await ctx.cases.audit(session, at=now, staff_id=reviewer.subject_id, role=reviewer.role,
                              organisation_code=reviewer.organisation_code, action="DECIDE_SUPPORT_REQUEST",
                              target_kind=SUPPORT, target_id=request_id, decision=decision.value, reason=reason)
        await events.support_request_decided(ctx, session, request, decision.value, reason)
        decided = await ctx.cases.support_request(session, request_id)
    log.info("support request decided", extra={"request_id": request_id, "decision": decision.value,
                                                "staff_id": reviewer.subject_id})
    return decided or request
