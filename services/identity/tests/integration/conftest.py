"""Fixtures of the identity service's integration tests: a handler context on a real database
(SQLite by default, PostgreSQL where a test asks) and the real Redis, with a ManualClock and small
argon2 parameters, plus helpers that walk the public steps the way a person does."""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from PIL import Image
from redis.asyncio import Redis
from servicekit import db, envelope, migrations
from servicekit.clock import ManualClock
from sqlalchemy import select
from tqr.identity.v1 import events_pb2
from tqr_identity.adapters import orm
from tqr_identity.bootstrap import build_context
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.gb11643 import make_valid_id_number
from tqr_identity.service_layer import codes, registration, sign_in
from tqr_identity.service_layer.context import IdentityContext

MIGRATIONS = Path(__file__).resolve().parents[2] / "src" / "tqr_identity" / "migrations"
PASSWORD = "Teach#2026ok"
SMALL_ARGON2 = {"argon2_memory_kib": 256, "argon2_time_cost": 1, "argon2_max_concurrent": 4}


def new_id_number(region: str = "110105") -> str:
    rng = random.Random(uuid.uuid4().int)
    born = date(1960 + rng.randrange(40), 1 + rng.randrange(12), 1 + rng.randrange(28))
    return make_valid_id_number(region, born, rng.randrange(1000))


def new_mobile() -> str:
    return f"139{random.randrange(10**8):08d}"


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def redis_client(redis_prefix: str) -> AsyncIterator[tuple[Redis, str]]:
    """The real Redis and this test's key prefix (the shared ``redis_prefix`` deletes its keys)."""
    client = Redis(host="127.0.0.1", port=6379)
    try:
        yield client, redis_prefix.rstrip(":")
    finally:
        await client.aclose()


def test_settings(db_url: str, prefix: str, tmp_path: Path, **overrides: Any) -> IdentitySettings:
    values: dict[str, Any] = {
        "database_url": db_url, "redis_key_prefix": prefix,
        "demo_accounts_file": str(tmp_path / "demo-accounts.txt"), "real_name_deadline_seconds": 0.3,
        "grpc_port": 0, "metrics_port": -1, "drain_seconds": 0.0, "shutdown_grace_seconds": 2.0,
        **SMALL_ARGON2, **overrides,
    }
    return IdentitySettings(**values)


@pytest.fixture
async def make_ctx(redis_client, tmp_path) -> AsyncIterator[Any]:
    client, prefix = redis_client
    made: list[IdentityContext] = []
    engines: list[Any] = []

    async def make(db_url: str | None = None, *, clock: ManualClock | None = None, **kwargs: Any) -> IdentityContext:
        url = db_url or f"sqlite:///{tmp_path / f'identity-{len(made)}.sqlite3'}"
        migrations.upgrade(MIGRATIONS, url)
        overrides = {k: kwargs.pop(k) for k in list(kwargs) if k not in ("real_name", "hasher")}
        engine = db.create_engine(url)
        engines.append(engine)
        ctx = build_context(test_settings(url, prefix, tmp_path, **overrides), engine, clock=clock or ManualClock(),
                            redis=client, **kwargs)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.hasher.close()
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def ctx(make_ctx) -> IdentityContext:
    return await make_ctx()


# --- steps a person takes ---------------------------------------------------------------------


async def outbox_events(ctx: IdentityContext, message_type: type[Message] | None = None) -> list[Any]:
    """Payloads staged in the outbox, oldest first (optionally of one type)."""
    async with ctx.reading() as session:
        rows = (await session.execute(select(orm.outbox.c.envelope).order_by(orm.outbox.c.created_at))).scalars()
        found = []
        for raw in rows:
            env = envelope.parse(raw)
            if message_type is None or env.type == message_type.DESCRIPTOR.full_name:
                found.append(envelope.unpack(env, message_type) if message_type else env)
        return found


async def human_pass(ctx: IdentityContext) -> str:
    """Solve a slider the way the browser does (the answer is read from where the server keeps it)."""
    challenge = await ctx.security.slider.issue()
    raw = await ctx.security.passes._redis.get(f"{ctx.settings.redis_key_prefix}:slider:{challenge.challenge_id}")
    token = await ctx.security.slider.solve(challenge.challenge_id, int(raw))
    assert token
    return token


async def last_code(ctx: IdentityContext) -> str:
    sent = await outbox_events(ctx, events_pb2.VerificationCodeRequested)
    return sent[-1].code


async def request_code(ctx: IdentityContext, mobile: str, client_id: str = "198.51.100.7") -> str:
    await codes.request_registration_code(ctx, pass_token=await human_pass(ctx), purpose="REGISTER", channel="SMS",
                                          destination=mobile, client_id=client_id)
    return await last_code(ctx)


def registration_of(number: str, mobile: str, code: str, **changes: Any) -> registration.RegisterAccount:
    values: dict[str, Any] = {
        "document_type": "ID_CARD", "document_number": number, "name": "张老师", "password": PASSWORD,
        "password_confirm": PASSWORD, "email": "teacher@example.cn", "mobile": mobile, "sms_code": code,
        "agreement_version": "2026-01", "agreement_accepted": True, **changes,
    }
    return registration.RegisterAccount(**values)


async def register(ctx: IdentityContext, number: str | None = None, **changes: Any) -> tuple[str, str]:
    """Register through the real steps; returns (account id, document number)."""
    number = number or new_id_number()
    mobile = changes.pop("mobile", None) or new_mobile()
    code = await request_code(ctx, mobile)
    account = await registration.register_account(ctx, registration_of(number, mobile, code, **changes))
    return account.id, number


async def sign_in_as(ctx: IdentityContext, number: str, password: str = PASSWORD, client_id: str = "203.0.113.9",
                     document_type: str = "ID_CARD") -> sign_in.SignedIn:
    return await sign_in.sign_in(ctx, document_type=document_type, document_number=number, password=password,
                                 pass_token=await human_pass(ctx), client_id=client_id)


@pytest.fixture
def steps() -> Any:
    """This module's helpers (test modules cannot import a conftest under --import-mode=importlib)."""
    import sys

    return sys.modules[__name__]


@pytest.fixture
def sqlite_url_for_host(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'host.sqlite3'}"
