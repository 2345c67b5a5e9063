"""``python -m tqr_identity create-admin``: the first system administrator of a production
installation, made by the command an operator's Job runs, signs in through the staff sign-in path."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pyotp
import pytest
from servicekit import migrations
from sqlalchemy import func, select
from testkit.production import trust_env
from tqr_identity.adapters import orm
from tqr_identity.service_layer import sign_in
from tqr_identity.service_layer.model import Role

pytestmark = pytest.mark.redis

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "tqr_identity" / "migrations"

ADMIN_PASSWORD = "Root#2026" + base64.b32encode(os.urandom(5)).decode()  # never printed by the command
USERNAME = "First.Admin"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def production_env(pg_url, redis_prefix) -> dict[str, str]:
    """What the Job's pod has: production, the identity Secrets, the password from its own Secret."""
    migrations.upgrade(MIGRATIONS, pg_url)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("IDENTITY_", "TQR_"))}
    return {
        **inherited,
        "TQR_ENVIRONMENT": "production", "IDENTITY_DATABASE_URL": pg_url,
        "IDENTITY_AMQP_URL": "amqp://tqr-identity:secret@127.0.0.1:5672/", "TQR_REDIS_URL": "redis://127.0.0.1:6379/0",
        "IDENTITY_REDIS_KEY_PREFIX": redis_prefix.rstrip(":"),
        "IDENTITY_PERSONAL_DATA_KEYS": f"k1:{_key()}", "IDENTITY_PERSONAL_DATA_INDEX_KEY": _key(),
        "TQR_SEALING_KEYS": f"s1:{_key()}", "IDENTITY_CODE_SECRET": "a-real-code-secret-of-enough-length",
        "IDENTITY_ADMIN_PASSWORD": ADMIN_PASSWORD, **trust_env("identity"),
    }


def create_admin(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tqr_identity", "create-admin", "--username", USERNAME,
         "--display-name", "系统管理员 First Admin", *args],
        env=env, capture_output=True, text=True, timeout=120)


def secret_from(output: str) -> str:
    (uri,) = re.findall(r"otpauth://\S+", output)
    parsed = pyotp.parse_uri(uri)
    (printed,) = re.findall(r"TOTP secret \(base32\): ([A-Z2-7]+)", output)
    assert parsed.secret == printed
    return printed


async def staff_count(ctx) -> int:
    async with ctx.reading() as session:
        return int(await session.scalar(select(func.count()).select_from(orm.staff_accounts)))


async def test_the_first_admin_signs_in_with_the_printed_totp_and_a_rerun_changes_nothing(
        production_env, make_ctx, pg_url) -> None:
    created = create_admin(production_env)
    assert created.returncode == 0, created.stderr
    assert ADMIN_PASSWORD not in created.stdout + created.stderr
    secret = secret_from(created.stdout)

    ctx = await make_ctx(pg_url, personal_data_keys=production_env["IDENTITY_PERSONAL_DATA_KEYS"],
                         personal_data_index_key=production_env["IDENTITY_PERSONAL_DATA_INDEX_KEY"])
    signed = await sign_in.staff_sign_in(ctx, username=USERNAME, password=ADMIN_PASSWORD,
                                         totp_code=pyotp.TOTP(secret).at(ctx.now()), client_id="10.0.0.1")
    assert signed.roles == (Role.SYSTEM_ADMIN.value,)
    resolved = await sign_in.resolve_session(ctx, signed.session_token)
    assert (resolved.kind.value, resolved.roles, resolved.name) == ("staff", ("SYSTEM_ADMIN",), "系统管理员 First Admin")
    async with ctx.reading() as session:
        (audit,) = (await session.execute(select(orm.staff_audit))).mappings().all()
    assert (audit["target_id"], audit["action"]) == (signed.subject_id, "create-admin")

    again = create_admin(production_env)
    assert again.returncode == 1 and "already exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert "otpauth" not in again.stdout + again.stderr
    other_name = create_admin({**production_env}, "--another")  # same username: still refused
    assert other_name.returncode == 1 and "already exists" in other_name.stderr
    assert await staff_count(ctx) == 1


async def test_another_admin_only_when_asked(production_env, make_ctx, pg_url) -> None:
    assert create_admin(production_env).returncode == 0
    second = subprocess.run(
        [sys.executable, "-m", "tqr_identity", "create-admin", "--username", "second", "--display-name", "Second"],
        env=production_env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 1 and "system administrator already exists" in second.stderr
    asked = subprocess.run(
        [sys.executable, "-m", "tqr_identity", "create-admin", "--username", "second", "--display-name", "Second",
         "--another"], env=production_env, capture_output=True, text=True, timeout=120)
    assert asked.returncode == 0, asked.stderr
    ctx = await make_ctx(pg_url, personal_data_keys=production_env["IDENTITY_PERSONAL_DATA_KEYS"],
                         personal_data_index_key=production_env["IDENTITY_PERSONAL_DATA_INDEX_KEY"])
    assert await staff_count(ctx) == 2


@pytest.mark.parametrize("password", ["short#1", "NoSpecial2026", "Password1!", ""])
async def test_a_weak_or_missing_password_is_refused_and_nothing_is_created(
        production_env, make_ctx, pg_url, password) -> None:
    refused = create_admin({**production_env, "IDENTITY_ADMIN_PASSWORD": password})
    assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
    assert "IDENTITY_ADMIN_PASSWORD" in refused.stderr and "nothing created" in refused.stderr
    assert not password or password not in refused.stdout + refused.stderr
    ctx = await make_ctx(pg_url, personal_data_keys=production_env["IDENTITY_PERSONAL_DATA_KEYS"],
                         personal_data_index_key=production_env["IDENTITY_PERSONAL_DATA_INDEX_KEY"])
    assert await staff_count(ctx) == 0


def test_production_settings_are_checked_as_serve_checks_them(production_env) -> None:
    refused = create_admin({**production_env, "IDENTITY_CODE_SECRET": "dev-only-verification-code-secret"})
    assert refused.returncode == 1 and "IDENTITY_CODE_SECRET" in refused.stderr
    assert "otpauth" not in refused.stdout
