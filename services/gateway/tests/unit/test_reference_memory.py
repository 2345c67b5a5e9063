"""The gateway's reference answers remembered per reference version (clients/reference_memory.py)."""

from __future__ import annotations

import asyncio

from tqr_gateway.clients.reference_memory import PLANS_SECONDS, ReferenceMemory


class Asked:
    def __init__(self) -> None:
        self.times = 0

    async def __call__(self) -> int:
        self.times += 1
        return self.times


async def test_an_answer_is_asked_once_per_version_and_again_for_a_newer_one():
    memory, ask = ReferenceMemory(), Asked()
    assert [await memory.answer(3, "k", ask) for _ in range(3)] == [1, 1, 1]
    assert await memory.answer(2, "k", ask) == 1  # a draft read earlier may see the newer answer
    assert await memory.answer(4, "k", ask) == 2 and await memory.answer(4, "k", ask) == 2
    assert ask.times == 2


async def test_version_0_is_never_remembered():
    memory, ask = ReferenceMemory(), Asked()
    assert [await memory.answer(0, "k", ask) for _ in range(2)] == [1, 2]


async def test_an_answer_with_a_max_age_is_asked_again_when_it_is_older():
    now = [100.0]
    memory, ask = ReferenceMemory(clock=lambda: now[0]), Asked()
    assert await memory.answer(1, "plans", ask, max_age=PLANS_SECONDS) == 1
    now[0] += PLANS_SECONDS - 1
    assert await memory.answer(1, "plans", ask, max_age=PLANS_SECONDS) == 1
    now[0] += 2
    assert await memory.answer(1, "plans", ask, max_age=PLANS_SECONDS) == 2


async def test_an_answer_asked_while_a_newer_version_arrived_is_not_kept_under_it():
    """It may have been read before the change the newer version announces."""
    memory, slow_started, release = ReferenceMemory(), asyncio.Event(), asyncio.Event()

    async def slow() -> str:
        slow_started.set()
        await release.wait()
        return "old"

    async def fresh() -> str:
        return "new"

    pending = asyncio.create_task(memory.answer(1, "k", slow))
    await slow_started.wait()
    assert await memory.answer(2, "other", fresh) == "new"  # another page's draft names version 2
    release.set()
    assert await pending == "old"  # the page that asked still gets its answer …
    assert await memory.answer(2, "k", fresh) == "new"  # … but it was not remembered for version 2
