"""The staff second factor (TOTP) against the real Redis, time moved by a ManualClock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from tqr_identity.security.totp import TotpVerifier, new_secret

pytestmark = pytest.mark.redis

STAFF = "staff-7"


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis(host="127.0.0.1", port=6379)
    prefix = f"tqr-test:{uuid.uuid4().hex[:12]}"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def _verifier(redis, clock: ManualClock) -> TotpVerifier:
    client, prefix = redis
    return TotpVerifier(client, clock, prefix)


def _code(secret: str, clock: ManualClock, steps: int = 0) -> str:
    """The code an authenticator app shows ``steps`` steps from the clock's now (pyotp directly)."""
    return pyotp.TOTP(secret).at(clock.now(), counter_offset=steps)


def test_secrets_are_new_base32_of_160_bits() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(first) == 32 and pyotp.TOTP(first).now().isdigit()


def test_provisioning_uri_names_the_issuer_account_and_secret() -> None:
    secret = new_secret()
    verifier = TotpVerifier(Redis(), ManualClock(), "p", issuer="教师资格定期注册")
    uri = verifier.provisioning_uri(secret, "zhang.wei@example.gov.cn")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert unquote(parsed.path) == "/教师资格定期注册:zhang.wei@example.gov.cn"
    query = parse_qs(parsed.query)
    assert query["secret"] == [secret] and query["issuer"] == ["教师资格定期注册"]


async def test_current_code_is_accepted_once(redis) -> None:
    clock = ManualClock()
    verifier = _verifier(redis, clock)
    secret = new_secret()
    code = _code(secret, clock)
    assert await verifier.verify(STAFF, secret, code)
    assert not await verifier.verify(STAFF, secret, code)  # replay within its window
    clock.advance(seconds=30)
    assert not await verifier.verify(STAFF, secret, code)  # still inside the ±1 window: still refused


async def test_one_step_either_side_is_accepted_two_are_not(redis) -> None:
    clock = ManualClock()
    verifier = _verifier(redis, clock)
    secret = new_secret()
    assert not await verifier.verify(STAFF, secret, _code(secret, clock, steps=-2))
    assert not await verifier.verify(STAFF, secret, _code(secret, clock, steps=2))
    assert await verifier.verify(STAFF, secret, _code(secret, clock, steps=-1))
    assert await verifier.verify("staff-8", secret, _code(secret, clock, steps=1))


async def test_an_older_code_is_refused_after_a_newer_one_was_used(redis) -> None:
    clock = ManualClock()
    verifier = _verifier(redis, clock)
    secret = new_secret()
    previous, current = _code(secret, clock, steps=-1), _code(secret, clock)
    assert await verifier.verify(STAFF, secret, current)
    if previous != current:
        assert not await verifier.verify(STAFF, secret, previous)
    clock.advance(seconds=30)
    assert await verifier.verify(STAFF, secret, _code(secret, clock))


async def test_wrong_or_malformed_codes_are_refused(redis) -> None:
    clock = ManualClock()
    verifier = _verifier(redis, clock)
    secret = new_secret()
    right = _code(secret, clock)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    window = {_code(secret, clock, s) for s in (-1, 0, 1)}
    if wrong not in window:
        assert not await verifier.verify(STAFF, secret, wrong)
    assert not await verifier.verify(STAFF, secret, "12345")
    assert not await verifier.verify(STAFF, secret, "abcdef")
    other_secret = new_secret()
    if right not in {_code(other_secret, clock, s) for s in (-1, 0, 1)}:
        assert not await verifier.verify(STAFF, other_secret, right)  # a code of another secret
    assert await verifier.verify(STAFF, secret, f"{right[:3]} {right[3:]}")  # spaces as apps show it


async def test_replay_is_tracked_per_subject(redis) -> None:
    clock = ManualClock()
    verifier = _verifier(redis, clock)
    secret_a, secret_b = new_secret(), new_secret()
    assert await verifier.verify("staff-a", secret_a, _code(secret_a, clock))
    assert await verifier.verify("staff-b", secret_b, _code(secret_b, clock))
