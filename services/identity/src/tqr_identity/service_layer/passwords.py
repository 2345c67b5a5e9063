"""R-ID-3, R-ID-11, R-ID-12: changing and resetting the password.

The password itself never leaves the service; a reset is proven with a code sent to the
registered mobile or email. Changing the password ends every other session; resetting ends all.
"""

from __future__ import annotations

import logging

from servicekit.errors import FieldProblem, InvalidInput, NotFound

from tqr_identity.domain.documents import DocumentType, parse_document_type, validate_document_number
from tqr_identity.domain.masking import mask_phone
from tqr_identity.domain.passwords import check_new_password
from tqr_identity.domain.working_days import china_date
from tqr_identity.security.verification_codes import CodePurpose
from tqr_identity.service_layer import events
from tqr_identity.service_layer.codes import CodeSent, send_code
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.human_check import require_human_pass
from tqr_identity.service_layer.model import Account
from tqr_identity.service_layer.profile import load_account

log = logging.getLogger(__name__)
RESET_RULE = "R-ID-11"
CHANNELS = ("SMS", "EMAIL", "ALTERNATIVE")


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    keep = local[:2] if len(local) > 2 else local[:1]
    return f"{keep}***@{domain}"


def _no_account() -> NotFound:
    return NotFound(RESET_RULE, "未找到用该证件注册的账号，请核对证件类型和号码，或先注册",
                    "No account is registered with this document; check the type and number, or register first")


def _destination(account: Account, channel: str) -> tuple[str, str]:
    """(where the code goes, the masked hint shown to the person)."""
    if channel == "EMAIL":
        return account.email, mask_email(account.email)
    return account.mobile, mask_phone(account.mobile)


def _channel(raw: str) -> str:
    channel = raw or "SMS"
    if channel not in CHANNELS:
        raise InvalidInput([FieldProblem("channel", RESET_RULE, "请选择接收验证码的方式",
                                         "Choose where the code should be sent")], code=RESET_RULE)
    return channel


def _document(ctx: IdentityContext, document_type: str, document_number: str) -> tuple[DocumentType, str]:
    doc_type = parse_document_type(document_type)
    return doc_type, validate_document_number(doc_type, document_number, today=china_date(ctx.now()))


async def _account_by_document(ctx: IdentityContext, doc_type: DocumentType, number: str) -> Account:
    async with ctx.reading() as session:
        account = await ctx.accounts.by_document(session, doc_type, number)
    if account is None:
        raise _no_account()
    return account


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
    destination, hint = _destination(account, chosen)
    return await send_code(ctx, purpose=CodePurpose.RESET_PASSWORD, channel=chosen, destination=destination,
                           hint=hint, client_id=client_id, aggregate_id=account.id)


async def reset_password(ctx: IdentityContext, *, document_type: str, document_number: str, channel: str,
                         code: str, new_password: str, new_password_confirm: str) -> int:
    """Returns how many sessions ended (all of them, R-ID-12)."""
    chosen = _channel(channel)
    check_new_password(new_password, new_password_confirm)
    account = await _account_by_document(ctx, *_document(ctx, document_type, document_number))
    destination, _ = _destination(account, chosen)
    if not await ctx.security.codes.check(CodePurpose.RESET_PASSWORD, destination, code):
        raise InvalidInput([FieldProblem("code", "R-ID-6", "验证码不正确，请核对后重新输入",
                                         "The code is not right; check it and enter it again")], code="R-ID-6")
    ended = await _store_new_password(ctx, account, new_password, via="RESET", keep=None)
    # A person who proved their identity this way is no longer locked out by earlier guesses.
    await ctx.security.throttle.unlock_account(ctx.crypto.login_key(account.document_type, account.document_number))
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
