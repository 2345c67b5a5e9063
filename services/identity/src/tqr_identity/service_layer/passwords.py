"""R-ID-3, R-ID-11, R-ID-12, R-ID-15: changing and resetting the password.

The password itself never leaves the service; a reset is proven with a code sent to the
registered mobile or email. Changing the password ends every other session; resetting ends all.

R-ID-15: neither step tells whether a document is registered. The request answers the same for an
unknown number (a code is issued under the caps and cooldown as for a real one, to nowhere) and
shows no contact, masked or not: the person is told where a code goes if the document is
registered, which they know. The confirmation refuses a wrong code for a known number and any code
for an unknown one with the same words.
"""

from __future__ import annotations

import logging

from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_email, mask_mobile

from tqr_identity.domain.documents import DocumentType, parse_document_type, validate_document_number
from tqr_identity.domain.passwords import check_new_password
from tqr_identity.domain.working_days import china_date
from tqr_identity.security.verification_codes import CodePurpose
from tqr_identity.service_layer import events
from tqr_identity.service_layer.codes import CodeSent, send_code
from tqr_identity.service_layer.context import IdentityContext, client_key
from tqr_identity.service_layer.human_check import require_human_pass
from tqr_identity.service_layer.model import Account
from tqr_identity.service_layer.profile import load_account

log = logging.getLogger(__name__)
RESET_RULE = "R-ID-11"
CHANNELS = ("SMS", "EMAIL", "ALTERNATIVE")


def _destination(account: Account, channel: str) -> str:
    return account.email if channel == "EMAIL" else account.mobile


def _hint(account: Account, channel: str) -> str:
    """The masked address in the message itself (its reader owns it), never in the answer."""
    return mask_email(account.email) if channel == "EMAIL" else mask_mobile(account.mobile)


def _nowhere(login_key: str, channel: str) -> str:
    """Where the code for an unregistered document "goes": a destination no person has, unique to the
    document and channel, so caps, cooldown and wrong-code answers behave as for a real one."""
    return f"unregistered:{channel}:{login_key}"


def _wrong_code() -> InvalidInput:
    return InvalidInput([FieldProblem("code", "R-ID-6", "验证码不正确，请核对后重新输入",
                                      "The code is not right; check it and enter it again")], code="R-ID-6")


def _channel(raw: str) -> str:
    channel = raw or "SMS"
    if channel not in CHANNELS:
        raise InvalidInput([FieldProblem("channel", RESET_RULE, "请选择接收验证码的方式",
                                         "Choose where the code should be sent")], code=RESET_RULE)
    return channel


def _document(ctx: IdentityContext, document_type: str, document_number: str) -> tuple[DocumentType, str]:
    doc_type = parse_document_type(document_type)
    return doc_type, validate_document_number(doc_type, document_number, today=china_date(ctx.now()))


async def _account_by_document(ctx: IdentityContext, doc_type: DocumentType, number: str) -> Account | None:
    async with ctx.reading() as session:
        return await ctx.accounts.by_document(session, doc_type, number)


async def change_password(ctx: IdentityContext, account_id: str, *, current_password: str, new_password: str,
                          new_password_confirm: str, keep_session_token: str) -> int:
    """Returns how many other sessions ended (R-ID-12)."""
    check_new_password(new_password, new_password_confirm)
    account = await load_account(ctx, account_id)
    if not await ctx.hasher.verify_async(account.password_hash, current_password):
        raise InvalidInput([FieldProblem("current_password", "R-ID-3", "当前密码不正确",
                                         "The current password is not right")], code="R-ID-3")
    return await _store_new_password(ctx, account, new_password, via="CHANGE", keep=keep_session_token)


async def request_password_reset(ctx: IdentityContext, *, document_type: str, document_number: str, channel: str,
                                 pass_token: str, client_id: str) -> CodeSent:
    chosen = _channel(channel)
    doc_type, number = _document(ctx, document_type, document_number)
    await require_human_pass(ctx, pass_token)  # before the look-up: no probing for accounts without it
    account = await _account_by_document(ctx, doc_type, number)
    if account is None:
        # The same caps, cooldown and answer as for a registered document; nothing is sent.
        codes = ctx.security.codes
        await codes.issue(CodePurpose.RESET_PASSWORD, _nowhere(ctx.crypto.login_key(doc_type, number), chosen),
                          client_key(client_id))
        log.info("password reset asked for an unregistered document", extra={"channel": chosen})
        return CodeSent("", codes.policy.validity_seconds, codes.policy.resend_cooldown_seconds)
    sent = await send_code(ctx, purpose=CodePurpose.RESET_PASSWORD, channel=chosen,
                           destination=_destination(account, chosen), hint=_hint(account, chosen),
                           client_id=client_id, aggregate_id=account.id)
    return CodeSent("", sent.expires_in_seconds, sent.resend_after_seconds)


async def reset_password(ctx: IdentityContext, *, document_type: str, document_number: str, channel: str,
                         code: str, new_password: str, new_password_confirm: str, client_id: str = "") -> int:
    """Returns how many sessions ended (all of them, R-ID-12)."""
    chosen = _channel(channel)
    check_new_password(new_password, new_password_confirm)
    doc_type, number = _document(ctx, document_type, document_number)
    login_key = ctx.crypto.login_key(doc_type, number)
    account = await _account_by_document(ctx, doc_type, number)
    destination = _destination(account, chosen) if account else _nowhere(login_key, chosen)
    # For an unknown document the check runs against the code issued to nowhere: the same Redis
    # work and the same answers (no live code, wrong code) as for a registered one.
    proven = await ctx.security.codes.check(CodePurpose.RESET_PASSWORD, destination, code)
    if account is None or not proven:
        raise _wrong_code()
    ended = await _store_new_password(ctx, account, new_password, via="RESET", keep=None)
    # The person proved who they are: their own address is no longer locked out by earlier guesses.
    await ctx.security.throttle.forgive(login_key, client_key(client_id))
    return ended


async def _store_new_password(ctx: IdentityContext, account: Account, password: str, *, via: str,
                              keep: str | None) -> int:
    now = ctx.now()
    changed = account.with_changes(password_hash=await ctx.hasher.hash_async(password), updated_at=now)
    async with ctx.transaction() as session:
        await ctx.accounts.save(session, changed)
        await events.password_changed(ctx, session, account.id, now, via)
    ended = await ctx.security.sessions.revoke_all(account.id, except_token=keep or None)
    log.info("password stored", extra={"account_id": account.id, "via": via, "sessions_ended": ended})
    return ended
