"""R-ID-8 and R-ID-12: signing in (applicants and staff), sessions, signing out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from servicekit.errors import Unauthenticated

from tqr_identity.domain.documents import parse_document_type, validate_document_number
from tqr_identity.domain.errors import login_failed
from tqr_identity.domain.working_days import china_date
from tqr_identity.security.sessions import SessionKind
from tqr_identity.service_layer.context import IdentityContext, client_key
from tqr_identity.service_layer.human_check import require_human_pass
from tqr_identity.service_layer.model import Role, StaffAccount

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedIn:
    session_token: str
    subject_id: str
    kind: SessionKind
    roles: tuple[str, ...]

    def __repr__(self) -> str:
        return f"SignedIn(subject_id={self.subject_id!r}, kind={self.kind.value})"


@dataclass(frozen=True)
class ResolvedSession:
    subject_id: str
    kind: SessionKind
    roles: tuple[str, ...]
    organisation_code: str
    name: str
    masked_document_number: str = ""
    real_name_status: str = ""
    session_id: str = ""
    valid_for_seconds: float = 0.0


def session_ended() -> Unauthenticated:
    return Unauthenticated("SESSION_ENDED", "登录已失效，请重新登录", "Your session has ended; please sign in again")


async def sign_in(
    ctx: IdentityContext, *, document_type: str, document_number: str, password: str, pass_token: str,
    client_id: str,
) -> SignedIn:
    """The same refusal, after the same amount of hashing work, whether or not the account exists."""
    doc_type = parse_document_type(document_type)
    number = validate_document_number(doc_type, document_number, today=china_date(ctx.now()))
    account_key, client = ctx.crypto.login_key(doc_type, number), client_key(client_id)
    throttle = ctx.security.throttle
    # The human check first: an attempt that takes the account's turn (R-ID-15) must have cost a
    # solved check, or a script could keep the turn taken without ever guessing.
    await require_human_pass(ctx, pass_token)
    await throttle.check(account_key, client)
    async with ctx.reading() as session:
        account = await ctx.accounts.by_document(session, doc_type, number)
    if account is None:
        await ctx.hasher.dummy_verify_async()
        matched = False
    else:
        matched = await ctx.hasher.verify_async(account.password_hash, password)
    if account is None or not matched:
        await throttle.record_failure(account_key, client)
        log.info("sign-in refused", extra={"document_type": doc_type.value})
        raise login_failed()
    await throttle.record_success(account_key, client)
    if ctx.hasher.needs_rehash(account.password_hash):
        # The parameters were raised since this hash was made: store a fresh one now that the
        # password is known to be right (R-ID-3).
        renewed = account.with_changes(password_hash=await ctx.hasher.hash_async(password), updated_at=ctx.now())
        async with ctx.transaction() as session:
            await ctx.accounts.save(session, renewed)
    token = await open_applicant_session(ctx, account.id)
    log.info("signed in", extra={"account_id": account.id})
    return SignedIn(token, account.id, SessionKind.APPLICANT, (Role.APPLICANT.value,))


async def staff_sign_in(ctx: IdentityContext, *, username: str, password: str, totp_code: str,
                        client_id: str) -> SignedIn:
    """Password and TOTP second factor; every failure looks the same and counts (R-ID-8)."""
    account_key, client = ctx.crypto.staff_login_key(username), client_key(client_id)
    throttle = ctx.security.throttle
    await throttle.check(account_key, client)
    async with ctx.reading() as session:
        staff = await ctx.staff.by_username(session, username)
    if staff is None or not staff.active:
        await ctx.hasher.dummy_verify_async()
        matched = False
    else:
        matched = await ctx.hasher.verify_async(staff.password_hash, password)
        # An account an administrator set up or reset signs in only through enrolment (R-STAFF-5).
        matched = matched and not staff.must_enrol and (
            await ctx.security.totp.verify(staff.id, staff.totp_secret, totp_code)
            or await _recovery_code_accepted(ctx, staff, totp_code))
    if staff is None or not matched:
        await throttle.record_failure(account_key, client)
        log.info("staff sign-in refused")
        raise login_failed()
    await throttle.record_success(account_key, client)
    if ctx.hasher.needs_rehash(staff.password_hash):
        async with ctx.transaction() as session:
            await ctx.staff.update_password_hash(session, staff.id, await ctx.hasher.hash_async(password))
    token = await ctx.security.sessions.create(staff.id, SessionKind.STAFF, roles=staff.roles,
                                               organisation_code=staff.organisation_code or None)
    log.info("staff signed in", extra={"staff_id": staff.id, "roles": list(staff.roles)})
    return SignedIn(token, staff.id, SessionKind.STAFF, staff.roles)


async def _recovery_code_accepted(ctx: IdentityContext, staff: StaffAccount, code: str) -> bool:
    from tqr_identity.service_layer.staff_enrolment import use_recovery_code  # it builds on SignedIn here

    return await use_recovery_code(ctx, staff, code)


async def sign_out(ctx: IdentityContext, session_token: str) -> bool:
    """R-ID-12: the session ends on the server; the token is worthless afterwards."""
    return bool(session_token) and await ctx.security.sessions.revoke(session_token)


async def resolve_session(ctx: IdentityContext, session_token: str) -> ResolvedSession:
    """One Redis read and one primary-key read of clear (non-personal or masked) columns."""
    found = await ctx.security.sessions.resolve(session_token)
    if found is None:
        raise session_ended()
    async with ctx.reading() as session:
        if found.kind is SessionKind.STAFF:
            display_name = await ctx.staff.display_name(session, found.subject_id)
            summary = (display_name, "", "") if display_name is not None else None
        else:
            summary = await ctx.accounts.summary(session, found.subject_id)
    if summary is None:  # the account or staff member was removed or deactivated meanwhile
        await ctx.security.sessions.revoke(session_token)
        raise session_ended()
    name, masked, status = summary
    return ResolvedSession(found.subject_id, found.kind, found.roles, found.organisation_code or "", name, masked,
                           status, found.session_id, found.valid_for.total_seconds())


async def open_applicant_session(ctx: IdentityContext, account_id: str) -> str:
    """A new applicant session (after a sign-in, or right after registration)."""
    return await ctx.security.sessions.create(account_id, SessionKind.APPLICANT, roles=[Role.APPLICANT.value])
