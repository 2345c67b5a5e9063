"""Staff sign-in with a TOTP second factor (R-ID-8 throttling applies), and the demo seed."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pyotp
import pytest
from servicekit import db, migrations
from servicekit.errors import Unauthenticated
from sqlalchemy import func, select
from testkit.production import trust_fields
from tqr_identity.adapters import orm
from tqr_identity.adapters.real_name_dev import demo_registry_holders
from tqr_identity.config import IdentitySettings
from tqr_identity.seed import DEMO_APPLICANT_PASSWORD, DEMO_STAFF, DEMO_STAFF_PASSWORD, seed, seed_context
from tqr_identity.service_layer import sign_in

pytestmark = pytest.mark.redis


def code_at(secret: str, ctx) -> str:
    return pyotp.TOTP(secret).at(ctx.clock.now())


async def test_r_staff_4_staff_sessions_carry_roles_and_organisation(ctx) -> None:
    await seed_context(ctx)
    admin = next(s for s in DEMO_STAFF if s.role.value == "AUTHORITY_ADMIN")
    signed = await sign_in.staff_sign_in(ctx, username=admin.username, password=DEMO_STAFF_PASSWORD,
                                         totp_code=code_at(admin.totp_secret, ctx), client_id="10.0.0.1")
    resolved = await sign_in.resolve_session(ctx, signed.session_token)
    assert (resolved.kind.value, resolved.roles, resolved.organisation_code, resolved.name) == (
        "staff", ("AUTHORITY_ADMIN",), admin.organisation_code, admin.display_name)


async def test_r_id_8_staff_need_the_second_factor_and_a_code_is_not_accepted_twice(ctx) -> None:
    await seed_context(ctx)
    reviewer = next(s for s in DEMO_STAFF if s.role.value == "IDENTITY_REVIEWER")
    with pytest.raises(Unauthenticated) as wrong:
        await sign_in.staff_sign_in(ctx, username=reviewer.username, password=DEMO_STAFF_PASSWORD,
                                    totp_code="000000" if code_at(reviewer.totp_secret, ctx) != "000000" else "111111",
                                    client_id="10.0.0.1")
    assert wrong.value.code == "R-ID-8"
    code = code_at(reviewer.totp_secret, ctx)
    assert await sign_in.staff_sign_in(ctx, username=reviewer.username, password=DEMO_STAFF_PASSWORD,
                                       totp_code=code, client_id="10.0.0.1")
    with pytest.raises(Unauthenticated):  # replayed
        await sign_in.staff_sign_in(ctx, username=reviewer.username, password=DEMO_STAFF_PASSWORD,
                                    totp_code=code, client_id="10.0.0.1")


async def test_seed_is_idempotent_and_demo_applicants_can_sign_in(ctx, steps, tmp_path) -> None:
    assert "seeded" in await seed_context(ctx)
    assert "already" in await seed_context(ctx)
    async with ctx.reading() as session:
        assert await session.scalar(select(func.count()).select_from(orm.staff_accounts)) == len(DEMO_STAFF)
    text = (tmp_path / "demo-accounts.txt").read_text(encoding="utf-8")
    holder = next(h for h in demo_registry_holders() if h.document_number in text)
    assert DEMO_APPLICANT_PASSWORD in text and holder.name in text
    signed = await steps.sign_in_as(ctx, holder.document_number, DEMO_APPLICANT_PASSWORD,
                                    document_type=holder.document_type.value)
    assert signed.session_token


async def test_production_seeds_no_demo_accounts(tmp_path) -> None:
    """`seed` in production (as an operator's job might run it) writes no published credentials."""
    url = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    migrations.upgrade(Path(orm.__file__).parents[1] / "migrations", url)

    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    settings = IdentitySettings(
        environment="production", database_url=url, amqp_url="amqp://identity:secret@mq/",
        redis_url="redis://127.0.0.1:6379/0", personal_data_keys=f"k1:{key()}", personal_data_index_key=key(),
        sealing_keys=f"s1:{key()}", code_secret="a-real-code-secret-of-enough-length",
        demo_accounts_file=str(tmp_path / "demo-accounts.txt"), **trust_fields("identity"))
    assert "switched off" in await seed(settings)
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            for table in (orm.staff_accounts, orm.accounts):
                assert await connection.scalar(select(func.count()).select_from(table)) == 0
    finally:
        await engine.dispose()
    assert not (tmp_path / "demo-accounts.txt").exists()
