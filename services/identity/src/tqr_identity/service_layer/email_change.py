"""R-ID-14: changing the account's email, the address codes, password resets and messages go to.

Two steps. The current password, then a code sent to the new address (good for this account
only); the code makes the new address the account's, and a notice goes to the old one. A session
alone is not enough: with password reset by email, whoever sets the email owns the account, so a
borrowed or stolen session must not be one step from taking it over.

Wrong passwords count against the sign-in throttle of the pair (account, client) like failed
sign-ins (R-ID-8), so this page cannot be used to guess the password either.
"""

from __future__ import annotations

import logging

from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_email

from tqr_identity.domain.contact import validate_email
from tqr_identity.security.verification_codes import CodePurpose
from tqr_identity.service_layer import events
from tqr_identity.service_layer.codes import CodeSent, send_code
from tqr_identity.service_layer.context import IdentityContext, client_key
from tqr_identity.service_layer.model import RealNameStatus
from tqr_identity.service_layer.profile import (
    AccountDetails,
    account_missing,
    load_account,
    refuse_while_review_pending,
)

log = logging.getLogger(__name__)
RULE = "R-ID-14"


def _problem(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput([FieldProblem(field, RULE, zh, en)], code=RULE)


def _new_email(raw: str) -> str:
    try:
        return validate_email(raw)
    except InvalidInput as exc:
        raise InvalidInput([FieldProblem("new_email", RULE, p.message_zh, p.message_en) for p in exc.problems],
                           code=RULE) from None


async def request_email_change(ctx: IdentityContext, account_id: str, *, new_email: str, current_password: str,
                               client_id: str) -> CodeSent:
    """Check the password, then send a CHANGE_CONTACT code to the new address."""
    email = _new_email(new_email)
    account = await load_account(ctx, account_id)
    if account.real_name_status is RealNameStatus.PENDING_REVIEW:
        raise refuse_while_review_pending()
    if email == account.email:
        raise _problem("new_email", "这已经是您账号的邮箱", "This is already your account's email")
    login_key, client = ctx.crypto.login_key(account.document_type, account.document_number), client_key(client_id)
    throttle = ctx.security.throttle
    await throttle.check(login_key, client)
    if not await ctx.hasher.verify_async(account.password_hash, current_password):
        await throttle.record_failure(login_key, client)
        raise _problem("current_password", "当前密码不正确", "The current password is not right")
    sent = await send_code(ctx, purpose=CodePurpose.CHANGE_CONTACT, channel="EMAIL", destination=email,
                           hint=mask_email(email), client_id=client_id, aggregate_id=account.id, subject=account.id)
    log.info("email change code sent", extra={"account_id": account.id})
    return sent


async def confirm_email_change(ctx: IdentityContext, account_id: str, *, new_email: str, code: str) -> AccountDetails:
    """The code sent to ``new_email`` for this account makes it the account's email."""
    email = _new_email(new_email)
    if not code.strip() or not await ctx.security.codes.check(CodePurpose.CHANGE_CONTACT, email, code,
                                                               subject=account_id):
        raise _problem("code", "验证码不正确，请核对后重新输入", "The code is not right; check it and enter it again")
    now = ctx.now()
    async with ctx.transaction() as session:
        account = await ctx.accounts.get(session, account_id, for_update=True)
        if account is None:
            raise account_missing()
        if account.real_name_status is RealNameStatus.PENDING_REVIEW:
            raise refuse_while_review_pending()
        previous = account.email
        changed = account.with_changes(email=email, updated_at=now)
        await ctx.accounts.save(session, changed, contacts_changed=True)
        await events.contact_details_changed(ctx, session, changed)
        if previous and previous != email:
            await events.email_changed(ctx, session, changed, previous, now, mask_email(email))
    log.info("email changed", extra={"account_id": account_id})
    return AccountDetails(changed, None)
