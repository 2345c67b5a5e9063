"""R-STAFF-5: a staff member's first sign-in, and the one after a password or TOTP reset.

Two steps. ``start_enrolment`` proves who is there with the one-time setup code from the
administrator and, when no TOTP secret is enrolled (a new account, a TOTP reset), makes one and
returns it with its ``otpauth://`` URI for the QR code. The pending state waits in Redis
(security.pending_enrolments). ``finish_enrolment`` takes the new password and a code from the
authenticator, which proves the phone holds the secret, stores both, gives ten single-use recovery
codes (shown once) and signs the person in. Failures count against the staff sign-in throttle
(R-ID-8) like a wrong password does.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from servicekit.errors import FieldProblem, InvalidInput

from tqr_identity.domain.errors import login_failed
from tqr_identity.domain.passwords import check_new_password
from tqr_identity.security.sessions import SessionKind
from tqr_identity.security.totp import new_secret
from tqr_identity.service_layer.context import IdentityContext, client_key
from tqr_identity.service_layer.model import StaffAccount
from tqr_identity.service_layer.sign_in import SignedIn
from tqr_identity.service_layer.staff_admin import RULE, code_hash, new_setup_code

RECOVERY_CODES = 10


@dataclass(frozen=True)
class Enrolment:
    enrolment_token: str
    totp_uri: str  # empty when the account keeps its enrolled secret
    totp_secret: str


@dataclass(frozen=True)
class Enrolled:
    signed_in: SignedIn
    recovery_codes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Enrolled(staff_id={self.signed_in.subject_id!r})"


def _setup_code_valid(ctx: IdentityContext, staff: StaffAccount, setup_code: str) -> bool:
    return bool(staff.setup_code_hash and staff.setup_code_expires_at and setup_code
                and staff.setup_code_expires_at > ctx.now()
                and secrets.compare_digest(staff.setup_code_hash, code_hash(setup_code)))


async def start_enrolment(ctx: IdentityContext, *, username: str, setup_code: str, client_id: str) -> Enrolment:
    account_key, client = ctx.crypto.staff_login_key(username), client_key(client_id)
    throttle = ctx.security.throttle
    await throttle.check(account_key, client)
    async with ctx.reading() as session:
        staff = await ctx.staff.by_username(session, username)
    proven = staff is not None and staff.active and staff.must_enrol and _setup_code_valid(ctx, staff, setup_code)
    if staff is None or not proven:
        await throttle.record_failure(account_key, client)
        raise login_failed()
    secret = "" if staff.totp_enrolled else new_secret()
    token = secrets.token_urlsafe(32)
    pending = {"staff_id": staff.id, "secret": secret, "username": staff.username}
    await ctx.security.enrolments.put(token, pending)
    uri = ctx.security.totp.provisioning_uri(secret, staff.username) if secret else ""
    return Enrolment(token, uri, secret)


def _wrong_code() -> InvalidInput:
    return InvalidInput([FieldProblem("totp_code", RULE, "验证码不正确，请输入验证器应用中当前显示的 6 位数字",
                                      "The code is wrong; enter the 6 digits your authenticator app shows now")],
                        code=RULE)


def _enrolment_over() -> InvalidInput:
    return InvalidInput([FieldProblem("enrolment_token", RULE, "设置已超时，请重新开始",
                                      "The set-up has timed out; please start again")], code=RULE)


async def finish_enrolment(ctx: IdentityContext, *, enrolment_token: str, new_password: str,
                           new_password_confirm: str, totp_code: str, client_id: str) -> Enrolled:
    pending = await ctx.security.enrolments.get(enrolment_token)
    if pending is None:
        raise _enrolment_over()
    account_key, client = ctx.crypto.staff_login_key(pending["username"]), client_key(client_id)
    await ctx.security.throttle.check(account_key, client)
    check_new_password(new_password, new_password_confirm)
    async with ctx.reading() as session:
        staff = await ctx.staff.get(session, pending["staff_id"])
    if staff is None or not staff.active or not staff.must_enrol:
        raise _enrolment_over()
    secret = pending["secret"] or staff.totp_secret
    if not await ctx.security.totp.verify(staff.id, secret, totp_code):
        await ctx.security.throttle.record_failure(account_key, client)
        raise _wrong_code()
    recovery = tuple(new_setup_code() for _ in range(RECOVERY_CODES))
    password_hash = await ctx.hasher.hash_async(new_password)
    async with ctx.transaction() as session:
        current = await ctx.staff.get_for_update(session, staff.id)
        if current is None or current.setup_code_hash != staff.setup_code_hash or not current.must_enrol:
            raise _enrolment_over()  # an administrator reset it again meanwhile, or it was used
        enrolled = replace(current, password_hash=password_hash, totp_secret=secret, must_enrol=False,
                           setup_code_hash=None, setup_code_expires_at=None,
                           recovery_code_hashes=tuple(code_hash(c) for c in recovery))
        await ctx.staff.save(session, enrolled)
        await ctx.cases.audit(session, at=ctx.now(), staff_id=staff.id, role=staff.role,
                              organisation_code=staff.organisation_code, action="staff-enrolled",
                              target_kind="staff_account", target_id=staff.id, decision="enrolled",
                              reason="new TOTP secret" if pending["secret"] else "enrolled TOTP kept")
    await ctx.security.enrolments.drop(enrolment_token)
    await ctx.security.throttle.record_success(account_key, client)
    token = await ctx.security.sessions.create(staff.id, SessionKind.STAFF, roles=staff.roles,
                                               organisation_code=staff.organisation_code or None)
    return Enrolled(SignedIn(token, staff.id, SessionKind.STAFF, staff.roles), recovery)


async def use_recovery_code(ctx: IdentityContext, staff: StaffAccount, code: str) -> bool:
    """A recovery code in place of a TOTP code: accepted once, then struck off."""
    digest = code_hash(code)
    if not code.strip() or digest not in staff.recovery_code_hashes:
        return False
    async with ctx.transaction() as session:
        current = await ctx.staff.get_for_update(session, staff.id)
        if current is None or digest not in current.recovery_code_hashes:
            return False  # used by a concurrent sign-in
        left = tuple(h for h in current.recovery_code_hashes if h != digest)
        await ctx.staff.save(session, replace(current, recovery_code_hashes=left))
        await ctx.cases.audit(session, at=ctx.now(), staff_id=staff.id, role=staff.role,
                              organisation_code=staff.organisation_code, action="staff-recovery-code",
                              target_kind="staff_account", target_id=staff.id, decision="used",
                              reason=f"{len(left)} left")
    return True
