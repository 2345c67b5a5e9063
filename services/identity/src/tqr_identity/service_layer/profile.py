"""R-ID-10: the person's own profile. The name changes only through real-name verification;
gender errors and garbled names go to staff (support requests); a new email only with the
password and a code sent to it (R-ID-14, email_change.py)."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date

from servicekit.errors import FieldProblem, InvalidInput, NotFound, RuleViolation

from tqr_identity.domain.contact import validate_email
from tqr_identity.domain.documents import Gender
from tqr_identity.domain.working_days import china_date
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import LONG_TERM, Account, RealNameStatus

log = logging.getLogger(__name__)
RULE = "R-ID-10"
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class AccountDetails:
    account: Account
    pending_review_due: date | None


@dataclass(frozen=True)
class ProfileChanges:
    """None = leave as it is."""

    ethnicity: str | None = None
    document_valid_from: str | None = None
    document_valid_until: str | None = None
    email: str | None = None
    gender: str | None = None
    birth_date: str | None = None


def account_missing() -> NotFound:
    return NotFound("ACCOUNT_NOT_FOUND", "账号不存在", "The account does not exist")


def refuse_while_review_pending() -> RuleViolation:
    return RuleViolation(
        "R-ID-9",
        "人工审核进行中，审核结束前不能修改已提交的信息，也不能重新核验",
        "A manual review is in progress; until it is decided you can neither edit the submitted details "
        "nor verify again",
    )


async def load_account(ctx: IdentityContext, account_id: str) -> Account:
    async with ctx.reading() as session:
        account = await ctx.accounts.get(session, account_id)
    if account is None:
        raise account_missing()
    return account


async def get_account(ctx: IdentityContext, account_id: str) -> AccountDetails:
    async with ctx.reading() as session:
        account = await ctx.accounts.get(session, account_id)
        if account is None:
            raise account_missing()
        pending = await ctx.cases.pending_review_of(session, account_id)
    return AccountDetails(account, pending.due_date if pending else None)


def _problem(field: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field, RULE, zh, en)


def _parse_date(raw: str, field: str, problems: list[FieldProblem]) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        problems.append(_problem(field, "请输入正确的日期，例如 2020-05-01",
                                 "Enter a real date, for example 2020-05-01"))
        return None


def apply_changes(account: Account, changes: ProfileChanges, today: date) -> Account:
    """The changed account; InvalidInput lists every problem. The email may only be given unchanged
    (R-ID-14: a new one goes through email_change.py)."""
    problems: list[FieldProblem] = []
    updates: dict[str, object] = {}
    if changes.ethnicity is not None:
        ethnicity = unicodedata.normalize("NFKC", changes.ethnicity).strip()
        if not ethnicity or len(ethnicity) > 20:
            problems.append(_problem("ethnicity", "请选择民族", "Choose your ethnic group"))
        updates["ethnicity"] = ethnicity
    valid_from = account.document_valid_from
    if changes.document_valid_from is not None:
        valid_from = _parse_date(changes.document_valid_from, "document_valid_from", problems)
        updates["document_valid_from"] = valid_from
    if changes.document_valid_until is not None:
        until = changes.document_valid_until.strip().upper()
        if until != LONG_TERM:
            until_date = _parse_date(until, "document_valid_until", problems)
            if until_date and valid_from and until_date <= valid_from:
                problems.append(_problem("document_valid_until", "有效期结束日期应晚于开始日期",
                                         "The end of validity must be after its start"))
            until = until_date.isoformat() if until_date else ""
        updates["document_valid_until"] = until
    if changes.email is not None:
        try:
            if validate_email(changes.email) != account.email:
                raise RuleViolation(
                    "R-ID-14", "修改邮箱需要输入当前密码，并填写发送到新邮箱的验证码，请使用“修改邮箱”",
                    "Changing the email needs your current password and a code sent to the new address; "
                    "use “Change email”")
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if changes.gender is not None or changes.birth_date is not None:
        if not account.supplies_gender_and_birth_date:
            problems.append(_problem(
                "gender", "性别和出生日期由您的证件号码确定；如有错误，请提交人工协助申请并附证件照片",
                "Gender and birth date come from your document number; if they are wrong, send a support "
                "request with a photo of the document"))
        else:
            if changes.gender is not None:
                if changes.gender not in (Gender.MALE.value, Gender.FEMALE.value):
                    problems.append(_problem("gender", "请选择性别", "Choose a gender"))
                else:
                    updates["gender"] = Gender(changes.gender)
            if changes.birth_date is not None:
                born = _parse_date(changes.birth_date, "birth_date", problems)
                if born and not EARLIEST <= born <= today:
                    problems.append(_problem("birth_date", "出生日期不正确", "The birth date is not possible"))
                updates["birth_date"] = born
    if problems:
        raise InvalidInput(problems, code=RULE)
    return account.with_changes(**updates)


async def update_profile(ctx: IdentityContext, account_id: str, changes: ProfileChanges) -> AccountDetails:
    now = ctx.now()
    async with ctx.transaction() as session:
        account = await ctx.accounts.get(session, account_id, for_update=True)
        if account is None:
            raise account_missing()
        if account.real_name_status is RealNameStatus.PENDING_REVIEW:
            raise refuse_while_review_pending()
        changed = apply_changes(account, changes, china_date(now))
        changed = changed.with_changes(updated_at=now)
        await ctx.accounts.save(session, changed)
    log.info("profile updated", extra={"account_id": account_id})
    return AccountDetails(changed, None)
