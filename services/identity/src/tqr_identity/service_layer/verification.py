"""R-ID-9: real-name verification (实名核验) against the national identity authority.

An outage records nothing: the account keeps its status and no event is written, so "try again
later" is the whole story. A verification with a corrected name that succeeds changes the name
(R-ID-10: the only way the name changes by the person's own hand).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tqr_identity.adapters.real_name import verify_with_deadline
from tqr_identity.domain.errors import REAL_NAME_FAILED, REAL_NAME_VERIFIED
from tqr_identity.service_layer import events
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import RealNameStatus
from tqr_identity.service_layer.names import validate_name
from tqr_identity.service_layer.profile import account_missing, load_account, refuse_while_review_pending

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationOutcome:
    verified: bool
    status: RealNameStatus
    message_zh: str
    message_en: str
    name: str


async def verify_real_name(ctx: IdentityContext, account_id: str, corrected_name: str = "") -> VerificationOutcome:
    account = await load_account(ctx, account_id)
    if account.real_name_status is RealNameStatus.PENDING_REVIEW:
        raise refuse_while_review_pending()
    name = validate_name(corrected_name, "corrected_name") if corrected_name.strip() else account.name
    if account.real_name_status is RealNameStatus.VERIFIED and name == account.name:
        return VerificationOutcome(True, account.real_name_status, REAL_NAME_VERIFIED.zh, REAL_NAME_VERIFIED.en, name)
    answer = await verify_with_deadline(ctx.real_name, account.document_type, account.document_number, name,
                                        ctx.settings.real_name_deadline_seconds)
    if not answer.matched and account.real_name_status is RealNameStatus.VERIFIED:
        # A failed attempt to correct the name of a verified account changes nothing.
        return VerificationOutcome(False, account.real_name_status, answer.reason_zh, answer.reason_en, account.name)
    now = ctx.now()
    status = RealNameStatus.VERIFIED if answer.matched else RealNameStatus.FAILED
    async with ctx.transaction() as session:
        current = await ctx.accounts.get(session, account_id, for_update=True)
        if current is None:
            raise account_missing()
        if current.real_name_status is RealNameStatus.PENDING_REVIEW:  # a review was requested meanwhile
            raise refuse_while_review_pending()
        changed = current.with_changes(real_name_status=status, real_name_checked_at=now, updated_at=now,
                                       name=name if answer.matched else current.name)
        await ctx.accounts.save(session, changed)
        await events.real_name_checked(ctx, session, changed, name, answer.matched, answer.reason_zh)
    log.info("real-name verification", extra={"account_id": account_id, "outcome": status.value})
    if answer.matched:
        return VerificationOutcome(True, status, REAL_NAME_VERIFIED.zh, REAL_NAME_VERIFIED.en, name)
    return VerificationOutcome(False, status, f"{REAL_NAME_FAILED.zh}（{answer.reason_zh}）",
                               f"{REAL_NAME_FAILED.en} ({answer.reason_en})", changed.name)
