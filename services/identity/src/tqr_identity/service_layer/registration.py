"""R-ID-1..7: opening an account."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from servicekit.errors import FieldProblem, InvalidInput
from servicekit.masking import mask_document_number
from sqlalchemy.exc import IntegrityError

from tqr_identity.domain.contact import ContactDetails, validate_contact_details
from tqr_identity.domain.documents import (
    DocumentType,
    birth_date_of,
    gender_of,
    parse_document_type,
    validate_document_number,
)
from tqr_identity.domain.errors import already_registered
from tqr_identity.domain.passwords import check_new_password
from tqr_identity.domain.working_days import china_date
from tqr_identity.security.verification_codes import CodePurpose
from tqr_identity.service_layer import events
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Account, RealNameStatus
from tqr_identity.service_layer.names import validate_name

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RegisterAccount:
    document_type: str
    document_number: str
    name: str
    password: str
    password_confirm: str
    email: str
    mobile: str
    sms_code: str
    agreement_version: str
    agreement_accepted: bool

    def __repr__(self) -> str:  # keeps personal data and the password out of tracebacks
        return "RegisterAccount(…)"


def _collect(problems: list[FieldProblem], check: Callable[[], T]) -> T | None:
    try:
        return check()
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None


def validate_registration(ctx: IdentityContext, cmd: RegisterAccount) -> tuple[DocumentType, str, str, ContactDetails]:
    """Every field checked at once, so the person sees every problem in one go."""
    problems: list[FieldProblem] = []
    today = china_date(ctx.now())
    doc_type = _collect(problems, lambda: parse_document_type(cmd.document_type))
    number = _collect(problems, lambda: validate_document_number(doc_type, cmd.document_number, today=today)) \
        if doc_type else None
    name = _collect(problems, lambda: validate_name(cmd.name))
    _collect(problems, lambda: check_new_password(cmd.password, cmd.password_confirm))
    contact = _collect(problems, lambda: validate_contact_details(cmd.mobile, cmd.email))
    if not cmd.sms_code.strip():
        problems.append(FieldProblem("sms_code", "R-ID-6", "请输入短信验证码", "Enter the code sent to your mobile"))
    if not cmd.agreement_accepted or cmd.agreement_version != ctx.settings.agreement_version:
        problems.append(FieldProblem("agreement", "R-ID-7", "请阅读并同意用户协议后再注册",
                                     "Read and accept the user agreement to register"))
    if problems or doc_type is None or number is None or name is None or contact is None:
        code = problems[0].code if len({p.code for p in problems}) == 1 else "INVALID_INPUT"
        raise InvalidInput(problems, code=code)
    return doc_type, number, name, contact


def _wrong_code() -> InvalidInput:
    return InvalidInput(
        [FieldProblem("sms_code", "R-ID-6", "短信验证码不正确，请核对后重新输入",
                      "The code is not right; check it and enter it again")],
        code="R-ID-6",
    )


async def register_account(ctx: IdentityContext, cmd: RegisterAccount) -> Account:
    doc_type, number, name, contact = validate_registration(ctx, cmd)
    # R-ID-15: the mobile's code first. Only a person who passed the human check, got a code within
    # the per-client caps and typed it may learn that the document is registered (R-ID-2).
    if not await ctx.security.codes.check(CodePurpose.REGISTER, contact.mobile, cmd.sms_code):
        raise _wrong_code()
    async with ctx.reading() as session:
        if await ctx.accounts.exists(session, doc_type, number):
            raise already_registered()  # R-ID-2: "该用户已注册", pointing to password reset
    now = ctx.now()
    account = Account(
        id=str(uuid.uuid4()), document_type=doc_type, document_number=number,
        masked_document_number=mask_document_number(number), name=name, mobile=contact.mobile,
        email=contact.email, password_hash=await ctx.hasher.hash_async(cmd.password),
        agreement_version=cmd.agreement_version, agreement_accepted_at=now,
        real_name_status=RealNameStatus.UNVERIFIED, created_at=now, updated_at=now,
        gender=gender_of(doc_type, number), birth_date=birth_date_of(doc_type, number),
    )
    try:
        async with ctx.transaction() as session:
            await ctx.accounts.add(session, account)
            await events.account_registered(ctx, session, account)
    except IntegrityError:
        raise already_registered() from None  # a concurrent registration of the same document won
    log.info("account registered", extra={"account_id": account.id, "document_type": doc_type.value})
    return account
