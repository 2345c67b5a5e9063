"""R-STAFF-5: administrators create, change, disable and reset staff accounts, and unlock an
applicant's sign-in. Every change is audited (R-STAFF-4) in the same transaction as the change,
and refused outside the actor's organisation (staff_scope) whatever the gateway showed.

No password ever passes through an administrator: a new account, and an account whose password is
reset, gets a one-time setup code that its owner uses to choose a password and enrol TOTP
(staff_enrolment). Only the code's hash is stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from servicekit.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.domain.documents import parse_document_type, validate_document_number
from tqr_identity.domain.working_days import china_date
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Role, StaffAccount
from tqr_identity.service_layer.staff_scope import (
    MANAGED_BY,
    ORGANISATION_CODE,
    may_manage,
    organisation_required,
)

RULE = "R-STAFF-5"
SETUP_CODE_LIFETIME = timedelta(days=3)
USERNAME_MAX = 64
DISPLAY_NAME_MAX = 100
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud or typed from paper


@dataclass(frozen=True)
class StaffDetails:
    username: str
    display_name: str
    role: str
    organisation_code: str


@dataclass(frozen=True)
class SetupCode:
    """Shown once to the administrator, who hands it to the staff member; never stored in clear."""

    staff: StaffAccount
    code: str


def new_setup_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))  # 80 bits
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def code_hash(code: str) -> str:
    """Setup and recovery codes are long random strings, so one fast hash suffices to keep them
    unusable to a reader of the database; typing is forgiven (case, spaces, dashes)."""
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


def _not_allowed() -> PermissionDenied:
    return PermissionDenied(RULE, "您不能管理此账号或此机构的人员",
                            "You cannot manage this account or the staff of this organisation")


def _require_admin(caller: Caller) -> None:
    if caller.role not in MANAGED_BY:
        raise _not_allowed()


def _require_may_manage(caller: Caller, role: str, organisation_code: str) -> None:
    if not may_manage(caller.role, caller.organisation_code, role, organisation_code):
        raise _not_allowed()


def _staff_not_found() -> NotFound:
    return NotFound("STAFF_NOT_FOUND", "未找到该工作人员账号", "No such staff account")


def _problem(field: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field, RULE, zh, en)


def check_details(details: StaffDetails, *, new: bool) -> None:
    """Raise InvalidInput listing every problem; nothing is written."""
    problems: list[FieldProblem] = []
    if new and (not details.username or len(details.username) > USERNAME_MAX
                or any(ch.isspace() for ch in details.username)):
        problems.append(_problem("username", f"用户名须为 1 至 {USERNAME_MAX} 个字符，不含空格",
                                 f"The username must be 1 to {USERNAME_MAX} characters without spaces"))
    if not details.display_name or len(details.display_name) > DISPLAY_NAME_MAX:
        problems.append(_problem("display_name", f"姓名须为 1 至 {DISPLAY_NAME_MAX} 个字符",
                                 f"The name must be 1 to {DISPLAY_NAME_MAX} characters"))
    if details.role not in {r.value for r in Role} - {Role.APPLICANT.value, Role.SYSTEM_ADMIN.value}:
        problems.append(_problem("role", "请选择角色", "Choose a role"))
    elif organisation_required(details.role) and not ORGANISATION_CODE.match(details.organisation_code):
        problems.append(_problem("organisation_code", "请填写机构代码（字母或数字）",
                                 "Enter the organisation code (letters or digits)"))
    elif not organisation_required(details.role) and details.organisation_code:
        problems.append(_problem("organisation_code", "身份审核员不属于某一机构，机构代码请留空",
                                 "Identity reviewers belong to no organisation; leave the code empty"))
    if problems:
        raise InvalidInput(problems, code=RULE)


def _normalised(details: StaffDetails) -> StaffDetails:
    return StaffDetails(details.username.strip().lower(), details.display_name.strip(), details.role.strip(),
                        details.organisation_code.strip())


async def _audit(ctx: IdentityContext, session: AsyncSession, caller: Caller, action: str, target_kind: str,
                 target_id: str, decision: str, reason: str = "") -> None:
    await ctx.cases.audit(session, at=ctx.now(), staff_id=caller.subject_id, role=caller.role,
                          organisation_code=caller.organisation_code, action=action, target_kind=target_kind,
                          target_id=target_id, decision=decision, reason=reason)


async def list_staff(ctx: IdentityContext, caller: Caller) -> list[StaffAccount]:
    """The accounts the caller may manage, by username."""
    _require_admin(caller)
    async with ctx.reading() as session:
        everyone = await ctx.staff.list_all(session)
    return [s for s in everyone
            if s.id != caller.subject_id and may_manage(caller.role, caller.organisation_code, s.role,
                                                         s.organisation_code)]


async def create_staff(ctx: IdentityContext, caller: Caller, details: StaffDetails) -> SetupCode:
    _require_admin(caller)
    details = _normalised(details)
    check_details(details, new=True)
    _require_may_manage(caller, details.role, details.organisation_code)
    code = new_setup_code()
    # Nobody knows this password: the account is usable only after its owner enrols with the code.
    unusable = await ctx.hasher.hash_async(secrets.token_urlsafe(32))
    staff = StaffAccount(str(uuid.uuid4()), details.username, details.display_name, unusable, "",
                         (details.role,), details.organisation_code, True, must_enrol=True,
                         setup_code_hash=code_hash(code), setup_code_expires_at=ctx.now() + SETUP_CODE_LIFETIME)
    async with ctx.transaction() as session:
        if await ctx.staff.by_username(session, details.username) is not None:
            raise InvalidInput([_problem("username", "该用户名已被使用", "This username is taken")], code=RULE)
        await ctx.staff.add(session, staff, ctx.now())
        await _audit(ctx, session, caller, "staff-create", "staff_account", staff.id, "created",
                     f"{details.role} {details.organisation_code}".strip())
    return SetupCode(staff, code)


async def _change(ctx: IdentityContext, caller: Caller, staff_id: str, action: str, decision: str,
                  change: Callable[[StaffAccount], StaffAccount], reason: str = "") -> StaffAccount:
    """Load the account under a row lock, check the caller may manage it as it is, apply the change,
    audit, and end its sessions (they carry the old role and organisation)."""
    _require_admin(caller)
    if staff_id == caller.subject_id:
        raise PermissionDenied(RULE, "不能管理自己的账号，请联系其他管理员",
                               "Ask another administrator to change your own account")
    async with ctx.transaction() as session:
        staff = await ctx.staff.get_for_update(session, staff_id)
        if staff is None or not may_manage(caller.role, caller.organisation_code, staff.role,
                                           staff.organisation_code):
            # An account outside the caller's organisation is not even confirmed to exist.
            raise _staff_not_found()
        changed = change(staff)
        await ctx.staff.save(session, changed)
        await _audit(ctx, session, caller, action, "staff_account", staff.id, decision, reason)
    await ctx.security.sessions.revoke_all(staff.id)
    return changed


async def update_staff(ctx: IdentityContext, caller: Caller, staff_id: str, details: StaffDetails) -> StaffAccount:
    """A new display name, role or organisation; the caller must be allowed both before and after."""
    details = _normalised(details)
    check_details(details, new=False)
    _require_admin(caller)
    _require_may_manage(caller, details.role, details.organisation_code)

    def change(staff: StaffAccount) -> StaffAccount:
        return replace(staff, display_name=details.display_name, roles=(details.role,),
                       organisation_code=details.organisation_code)

    return await _change(ctx, caller, staff_id, "staff-update", "changed", change,
                         f"{details.role} {details.organisation_code}".strip())


async def set_staff_active(ctx: IdentityContext, caller: Caller, staff_id: str, active: bool) -> StaffAccount:
    def change(staff: StaffAccount) -> StaffAccount:
        return replace(staff, active=active)

    return await _change(ctx, caller, staff_id, "staff-enable" if active else "staff-disable",
                         "enabled" if active else "disabled", change)


async def reset_staff_password(ctx: IdentityContext, caller: Caller, staff_id: str) -> SetupCode:
    """A forgotten password: it stops working now; the owner chooses a new one with the code and
    proves the enrolled authenticator with a code from it."""
    return await _reset(ctx, caller, staff_id, "staff-password-reset", keep_totp=True)


async def reset_staff_totp(ctx: IdentityContext, caller: Caller, staff_id: str) -> SetupCode:
    """A lost phone: the secret, the recovery codes and the password go (whoever has the phone may
    know the password too); the owner enrols both again with the code."""
    return await _reset(ctx, caller, staff_id, "staff-totp-reset", keep_totp=False)


async def _reset(ctx: IdentityContext, caller: Caller, staff_id: str, action: str, *, keep_totp: bool) -> SetupCode:
    code = new_setup_code()
    unusable = await ctx.hasher.hash_async(secrets.token_urlsafe(32))

    def change(staff: StaffAccount) -> StaffAccount:
        reset = replace(staff, password_hash=unusable, must_enrol=True, setup_code_hash=code_hash(code),
                        setup_code_expires_at=ctx.now() + SETUP_CODE_LIFETIME)
        return reset if keep_totp else replace(reset, totp_secret="", recovery_code_hashes=())

    staff = await _change(ctx, caller, staff_id, action, "reset", change)
    return SetupCode(staff, code)


async def unlock_applicant(ctx: IdentityContext, caller: Caller, document_type: str, document_number: str) -> str:
    """R-ID-8 locks after failed sign-ins end now for the account (from every address); returns the
    account id. Applicants belong to no organisation, so any administrator may, audited."""
    _require_admin(caller)
    doc_type = parse_document_type(document_type)
    number = validate_document_number(doc_type, document_number, today=china_date(ctx.now()))
    async with ctx.transaction() as session:
        account = await ctx.accounts.by_document(session, doc_type, number)
        if account is None:
            raise NotFound("ACCOUNT_NOT_FOUND", "未找到使用该证件注册的账号",
                           "No account is registered with this document")
        await _audit(ctx, session, caller, "applicant-unlock", "account", account.id, "unlocked")
    await ctx.security.throttle.unlock_account(ctx.crypto.login_key(doc_type, number))
    return account.id
