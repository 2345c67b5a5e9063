"""``python -m tqr_identity create-admin --username NAME --display-name "…" [--another]``: the first
system administrator of a new installation, where the demo seed is refused.

The password comes from ``IDENTITY_ADMIN_PASSWORD`` (in Kubernetes a Secret), never from the command
line, which every process list shows, and must pass the password rules of every other new password
(R-ID-3). The TOTP secret is made here and printed once — as the ``otpauth://`` URI and in base32 —
for the operator to enrol an authenticator from the Job's log before deleting the Job.

Re-running is harmless: the command refuses (status 1, one line, nothing written) when the username
is taken or when a system administrator already exists, unless ``--another`` asks for one more.
"""

from __future__ import annotations

import argparse
import os
import uuid
from dataclasses import dataclass

import pyotp
from servicekit import db
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_identity.adapters import orm
from tqr_identity.bootstrap import build_context
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.passwords import password_problems
from tqr_identity.security.totp import DEFAULT_ISSUER, new_secret
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Role, StaffAccount

PASSWORD_VARIABLE = "IDENTITY_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a secret
USERNAME_MAX = 64  # orm.staff_accounts.username
DISPLAY_NAME_MAX = 100  # orm.staff_accounts.display_name
AUDIT_ACTION = "create-admin"


@dataclass(frozen=True)
class AdminRequest:
    username: str
    display_name: str
    another: bool


class Refused(Exception):
    """One line for the operator; nothing was written."""


def parse(argv: list[str]) -> AdminRequest:
    parser = argparse.ArgumentParser(
        prog="tqr_identity create-admin",
        description=f"Create a SYSTEM_ADMIN staff account; the password is read from {PASSWORD_VARIABLE}.")
    parser.add_argument("--username", required=True, help="the sign-in name (stored lower-case)")
    parser.add_argument("--display-name", required=True, help="the name shown to other staff")
    parser.add_argument("--another", action="store_true",
                        help="create it even though a system administrator already exists")
    args = parser.parse_args(argv)
    return AdminRequest(args.username.strip().lower(), args.display_name.strip(), args.another)


def check_request(request: AdminRequest, password: str) -> None:
    """Raise Refused for input that cannot make an account; the password itself is never shown."""
    if not request.username or len(request.username) > USERNAME_MAX or any(ch.isspace() for ch in request.username):
        raise Refused(f"--username must be 1 to {USERNAME_MAX} characters without spaces")
    if not request.display_name or len(request.display_name) > DISPLAY_NAME_MAX:
        raise Refused(f"--display-name must be 1 to {DISPLAY_NAME_MAX} characters")
    if not password:
        raise Refused(f"set {PASSWORD_VARIABLE} (the new administrator's password; never on the command line)")
    problems = password_problems(password, password)
    if problems:
        raise Refused(f"{PASSWORD_VARIABLE} does not meet the password rules (R-ID-3): "
                      + "; ".join(p.message_en for p in problems))


async def create_admin(settings: IdentitySettings, request: AdminRequest, password: str) -> tuple[int, list[str]]:
    """Exit status and the lines to print."""
    try:
        check_request(request, password)
    except Refused as refused:
        return 1, [f"identity: {refused}; nothing created"]
    engine = db.engine_for(settings)
    ctx = build_context(settings, engine)
    try:
        secret = new_secret()
        staff_id = await _add(ctx, request, password, secret)
    except Refused as refused:
        return 1, [f"identity: {refused}; nothing created"]
    finally:
        ctx.hasher.close()
        await engine.dispose()
    uri = _provisioning_uri(secret, request.username)
    return 0, [
        f"identity: created system administrator {request.username!r} (staff id {staff_id})",
        f"TOTP URI: {uri}",
        f"TOTP secret (base32): {secret}",
        "Enrol an authenticator app now (scan the URI as a QR code or type the secret): it is shown only "
        "this once. Then delete this Job and the tqr-first-admin Secret (deploy/README.md).",
    ]


async def _add(ctx: IdentityContext, request: AdminRequest, password: str, secret: str) -> str:
    password_hash = await ctx.hasher.hash_async(password)
    async with ctx.transaction() as session:
        await _serialise_with_other_runs(session)
        if await ctx.staff.by_username(session, request.username) is not None:
            raise Refused(f"a staff account named {request.username!r} already exists")
        if not request.another and await _a_system_admin_exists(session):
            raise Refused("a system administrator already exists (--another creates one more)")
        staff_id, now = str(uuid.uuid4()), ctx.now()
        await ctx.staff.add(session, StaffAccount(
            staff_id, request.username, request.display_name, password_hash, secret,
            (Role.SYSTEM_ADMIN.value,), "", True), now)
        # R-STAFF-4 keeps who did what to staff; no staff member acted here, so the actor is empty
        # and the reason names the command an operator ran.
        await ctx.cases.audit(session, at=now, staff_id="", role="", organisation_code="", action=AUDIT_ACTION,
                              target_kind="staff_account", target_id=staff_id, decision="created",
                              reason=f"python -m tqr_identity create-admin{' --another' if request.another else ''}")
    return staff_id


async def _serialise_with_other_runs(session: AsyncSession) -> None:
    """Two Jobs started together must not both see "no administrator yet" (PostgreSQL; SQLite
    writers are serialised anyway). The lock ends with the transaction, so PgBouncer's
    transaction mode keeps it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE staff_accounts IN SHARE ROW EXCLUSIVE MODE"))


async def _a_system_admin_exists(session: AsyncSession) -> bool:
    rows = await session.scalars(select(orm.staff_accounts.c.roles))
    return any(Role.SYSTEM_ADMIN.value in roles.split(",") for roles in rows)


def _provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=DEFAULT_ISSUER)


def password_from_environment() -> str:
    return os.environ.get(PASSWORD_VARIABLE, "")
