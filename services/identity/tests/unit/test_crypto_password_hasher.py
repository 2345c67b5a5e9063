"""Password hashing: argon2id, bounded concurrency, rehash detection, equal-time dummy checks."""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError
from tqr_identity.adapters.crypto.password_hasher import (
    MIN_PRODUCTION_MEMORY_COST_KIB,
    PasswordHasher,
    PasswordHashSettings,
)

# Small parameters keep the suite fast; only test_production_default_* uses the real cost.
FAST = PasswordHashSettings(memory_cost_kib=64, time_cost=1, parallelism=1, max_concurrent_hashes=3)
PASSWORD = "Lesson#Plan7"


def memory_cost_of(encoded: str) -> int:
    match = re.search(r"\$m=(\d+),t=(\d+),p=(\d+)\$", encoded)
    assert match, encoded
    return int(match.group(1))


class InstrumentedArgon2(Argon2Hasher):
    """Counts how many hashes run at the same time and records every verification."""

    def __init__(self, settings: PasswordHashSettings, hold_seconds: float = 0.0) -> None:
        super().__init__(
            time_cost=settings.time_cost,
            memory_cost=settings.memory_cost_kib,
            parallelism=settings.parallelism,
            type=Type.ID,
        )
        self.hold_seconds = hold_seconds
        self._lock = threading.Lock()
        self.running = 0
        self.max_running = 0
        self.verified_hashes: list[str] = []

    def _enter(self) -> None:
        with self._lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)

    def _leave(self) -> None:
        with self._lock:
            self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._enter()
        try:
            time.sleep(self.hold_seconds)  # widen the window in which overlaps would show
            return super().hash(password, salt=salt)
        finally:
            self._leave()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self._enter()
        try:
            self.verified_hashes.append(hash if isinstance(hash, str) else hash.decode())
            time.sleep(self.hold_seconds)
            return super().verify(hash, password)
        finally:
            self._leave()


@pytest.fixture
def hasher() -> PasswordHasher:
    h = PasswordHasher(FAST)
    yield h
    h.close()


def test_production_default_memory_is_at_least_46_mib() -> None:
    assert PasswordHashSettings().memory_cost_kib >= 46 * 1024 == MIN_PRODUCTION_MEMORY_COST_KIB
    production = PasswordHasher()
    try:
        stored = production.hash(PASSWORD)
        assert stored.startswith("$argon2id$")
        assert memory_cost_of(stored) >= 46 * 1024
        assert production.verify(stored, PASSWORD)
    finally:
        production.close()


def test_r_id_3_stored_only_as_salted_argon2id_hash(hasher: PasswordHasher) -> None:
    first, second = hasher.hash(PASSWORD), hasher.hash(PASSWORD)
    assert first.startswith("$argon2id$") and PASSWORD not in first
    assert first != second  # a fresh salt each time
    assert hasher.verify(first, PASSWORD) and hasher.verify(second, PASSWORD)
    assert not hasher.verify(first, PASSWORD + "x")
    assert not hasher.verify(first, "")


def test_malformed_stored_hash_is_an_error_not_a_wrong_password(hasher: PasswordHasher) -> None:
    with pytest.raises(InvalidHashError):
        hasher.verify("not-a-hash", PASSWORD)


def test_needs_rehash_when_parameters_change(hasher: PasswordHasher) -> None:
    stored = hasher.hash(PASSWORD)
    assert not hasher.needs_rehash(stored)
    for changed in (
        PasswordHashSettings(memory_cost_kib=128, time_cost=1, parallelism=1),
        PasswordHashSettings(memory_cost_kib=64, time_cost=2, parallelism=1),
        PasswordHashSettings(memory_cost_kib=64, time_cost=1, parallelism=2),
    ):
        stronger = PasswordHasher(changed)
        try:
            assert stronger.needs_rehash(stored)
            assert stronger.verify(stored, PASSWORD)  # old hashes still verify until rehashed
            assert not stronger.needs_rehash(stronger.hash(PASSWORD))
        finally:
            stronger.close()


async def test_async_wrappers_round_trip(hasher: PasswordHasher) -> None:
    stored = await hasher.hash_async(PASSWORD)
    assert await hasher.verify_async(stored, PASSWORD)
    assert not await hasher.verify_async(stored, "wrong#Pass1")


@pytest.mark.parametrize("limit", [1, 3])
async def test_concurrent_hashes_are_bounded(limit: int) -> None:
    settings = PasswordHashSettings(
        memory_cost_kib=64, time_cost=1, parallelism=1, max_concurrent_hashes=limit
    )
    instrumented = InstrumentedArgon2(settings, hold_seconds=0.02)
    hasher = PasswordHasher(settings, argon2_hasher=instrumented)
    try:
        stored = await hasher.hash_async(PASSWORD)
        burst = [hasher.verify_async(stored, PASSWORD) for _ in range(12)]
        burst += [hasher.hash_async(PASSWORD) for _ in range(6)]
        burst += [hasher.dummy_verify_async() for _ in range(6)]
        results = await asyncio.gather(*burst)
        assert all(results[:12]) and not any(results[18:])
        assert instrumented.max_running == limit  # the burst reached the bound and never passed it
        assert instrumented.running == 0
    finally:
        hasher.close()


async def test_hashing_does_not_block_the_event_loop() -> None:
    settings = PasswordHashSettings(memory_cost_kib=64, max_concurrent_hashes=1)
    hasher = PasswordHasher(settings, argon2_hasher=InstrumentedArgon2(settings, hold_seconds=0.2))
    try:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await hasher.hash_async(PASSWORD)
        task.cancel()
        assert ticks >= 5
    finally:
        hasher.close()


def test_r_id_8_dummy_verify_spends_one_full_verification_with_current_parameters() -> None:
    instrumented = InstrumentedArgon2(FAST)
    hasher = PasswordHasher(FAST, argon2_hasher=instrumented)
    try:
        assert hasher.dummy_verify() is False
        [used] = instrumented.verified_hashes
        assert used.startswith("$argon2id$")
        assert not hasher.needs_rehash(used)  # same cost as a real account's current hash
    finally:
        hasher.close()


def test_r_id_8_dummy_verify_takes_as_long_as_a_real_verification() -> None:
    # Moderate parameters so the hash dominates the measurement; medians resist scheduling noise.
    settings = PasswordHashSettings(memory_cost_kib=8192, time_cost=2, parallelism=1)
    hasher = PasswordHasher(settings)
    try:
        stored = hasher.hash(PASSWORD)

        def median_seconds(action: object) -> float:
            samples = []
            for _ in range(7):
                started = time.perf_counter()
                action()  # type: ignore[operator]
                samples.append(time.perf_counter() - started)
            return sorted(samples)[3]

        real = median_seconds(lambda: hasher.verify(stored, "wrong#Pass1"))
        dummy = median_seconds(hasher.dummy_verify)
        assert 0.5 < dummy / real < 2.0
    finally:
        hasher.close()


def test_settings_refuse_a_zero_bound() -> None:
    with pytest.raises(ValueError):
        PasswordHashSettings(max_concurrent_hashes=0)
