"""Password hashing with argon2id (R-ID-3: stored only as a slow salted hash).

argon2id is memory-hard: each hash holds ``memory_cost`` KiB for its duration. The defaults follow
the OWASP recommendation for argon2id (46 MiB, 1 pass, 1 lane). Because every concurrent hash
costs that much memory, the async wrappers run hashes in a small dedicated thread pool behind an
asyncio.Semaphore, so a burst of logins queues instead of exhausting the pod's memory.

Parameters are written into every stored hash (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``), so
raising them later is safe: old hashes still verify and ``needs_rehash`` tells the login handler to
store a fresh hash once the person has proven the password.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import VerificationError

# OWASP Password Storage Cheat Sheet: argon2id with m=47104 KiB (46 MiB), t=1, p=1.
MIN_PRODUCTION_MEMORY_COST_KIB = 47104
_R = TypeVar("_R")
DUMMY_PASSWORD = "timing-equaliser-not-a-real-password"  # noqa: S105 - hashed to spend time, never matched


@dataclass(frozen=True)
class PasswordHashSettings:
    memory_cost_kib: int = MIN_PRODUCTION_MEMORY_COST_KIB
    time_cost: int = 1
    parallelism: int = 1
    max_concurrent_hashes: int = 4  # per process; bounds memory at about this many × memory_cost

    def __post_init__(self) -> None:
        if self.max_concurrent_hashes < 1:
            raise ValueError("max_concurrent_hashes must be at least 1")


class PasswordHasher:
    """Hashes and verifies passwords; safe to share across tasks and threads."""

    def __init__(
        self,
        settings: PasswordHashSettings | None = None,
        *,
        argon2_hasher: Argon2Hasher | None = None,
    ) -> None:
        self.settings = settings or PasswordHashSettings()
        # argon2_hasher is a seam for tests that need to observe the hashing itself.
        self._argon2 = argon2_hasher or Argon2Hasher(
            time_cost=self.settings.time_cost,
            memory_cost=self.settings.memory_cost_kib,
            parallelism=self.settings.parallelism,
            type=Type.ID,
        )
        self._executor = ThreadPoolExecutor(
            max_workers=self.settings.max_concurrent_hashes, thread_name_prefix="password-hash"
        )
        # One semaphore per event loop: an asyncio.Semaphore binds to the loop it first waits on.
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        # Hashed once at start-up with the current parameters, so dummy_verify costs what a real
        # verification costs (R-ID-8: an unknown account must not answer faster).
        self._dummy_hash = self._argon2.hash(DUMMY_PASSWORD)

    # --- synchronous API (blocks the calling thread for the whole hash) -------------------------

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """True when ``password`` matches. A malformed ``stored`` raises argon2's InvalidHashError
        (a ValueError): a corrupt row is a fault to see, not a wrong password."""
        try:
            return self._argon2.verify(stored, password)
        except VerificationError:  # includes VerifyMismatchError, the ordinary wrong password
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than the current settings."""
        return self._argon2.check_needs_rehash(stored)

    def dummy_verify(self) -> bool:
        """Spend the time of one verification for an account that does not exist; always False."""
        self.verify(self._dummy_hash, DUMMY_PASSWORD + "-")
        return False

    # --- asynchronous API (bounded, off the event loop) -----------------------------------------

    async def hash_async(self, password: str) -> str:
        return await self._run_bounded(self.hash, password)

    async def verify_async(self, stored: str, password: str) -> bool:
        return await self._run_bounded(self.verify, stored, password)

    async def dummy_verify_async(self) -> bool:
        return await self._run_bounded(self.dummy_verify)

    def close(self) -> None:
        """Stop the worker threads (at service shutdown)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    async def _run_bounded(self, func: Callable[..., _R], *args: str) -> _R:
        loop = asyncio.get_running_loop()
        async with self._semaphore(loop):
            return await loop.run_in_executor(self._executor, func, *args)

    def _semaphore(self, loop: asyncio.AbstractEventLoop) -> asyncio.Semaphore:
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.settings.max_concurrent_hashes)
            self._semaphores[loop] = semaphore
        return semaphore
