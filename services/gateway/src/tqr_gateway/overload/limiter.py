"""The concurrency limit of one gateway process, with waiters served by priority.

A request takes a slot for as long as it runs. When every slot is taken, a request waits (at most
``wait_seconds``) and a freed slot goes to the waiter of the best priority, first come first served
within a priority; one still waiting when its time is up is shed. Staff take a slot without ever
waiting (they may run the count above the limit), so their work also counts against what the
others may start.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass, field

from tqr_gateway.overload.priority import Priority


@dataclass(order=True)
class _Waiter:
    priority: int
    arrival: int
    granted: asyncio.Future[None] = field(compare=False)


class ConcurrencyLimiter:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        self.limit = limit
        self.in_flight = 0
        self._waiters: list[_Waiter] = []
        self._arrivals = itertools.count()

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.granted.done())

    @property
    def free_slots(self) -> int:
        """Slots nobody holds or waits for: what this process could take on now."""
        return max(0, self.limit - self.in_flight - self.waiting)

    def try_acquire(self) -> bool:
        """A slot now if one is free and nobody waits for it, else False (never waits)."""
        if self.free_slots > 0:
            self.in_flight += 1
            return True
        return False

    def enter_unqueued(self) -> None:
        """Staff: counted, never held back."""
        self.in_flight += 1

    async def acquire(self, priority: Priority, wait_seconds: float) -> bool:
        """True once the request holds a slot; False if none came within ``wait_seconds``."""
        if self.try_acquire():
            return True
        if wait_seconds <= 0:
            return False
        waiter = _Waiter(int(priority), next(self._arrivals), asyncio.get_running_loop().create_future())
        heapq.heappush(self._waiters, waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter.granted), wait_seconds)
            return True
        except TimeoutError:
            if waiter.granted.done():  # granted in the same tick as the time ran out
                return True
            waiter.granted.cancel()
            return False
        except BaseException:
            # The client went away while waiting: give back a slot granted meanwhile.
            if waiter.granted.done() and not waiter.granted.cancelled():
                self.release()
            else:
                waiter.granted.cancel()
            raise

    def release(self) -> None:
        self.in_flight -= 1
        while self._waiters and self.in_flight < self.limit:
            waiter = heapq.heappop(self._waiters)
            if waiter.granted.done():  # gave up waiting
                continue
            self.in_flight += 1
            waiter.granted.set_result(None)
