"""The concurrency limit of one gateway process, with waiters served by priority.

A request takes a slot for as long as it runs. When every slot is taken, a request waits (at most
``wait_seconds``) and a freed slot goes to the waiter of the best priority, first come first served
within a priority; one still waiting when its time is up is shed. Staff take a slot without ever
waiting (they may run the count above the limit), so their work also counts against what the
others may start.

The queue is bounded (``max_waiting``, as many as there are slots by default). Under a sustained
overload it is always full, and a request that cannot get into it is shed at once instead of after
its whole wait: waiting only delays a refusal that is coming anyway, while it holds a connection
and pushes the admitted requests' latency up (at 3× the capacity a 0.1 s wait took the admitted
steps' p99 to seconds, tools/loadtest/README.md). A burst shorter than the queue still waits, as
before. When the queue is full a request of better priority takes the place of the worst waiter
(the lowest priority, the latest to come), which is shed.
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
    granted: asyncio.Future[bool] = field(compare=False)  # True: a slot; False: displaced, shed


class ConcurrencyLimiter:
    def __init__(self, limit: int, max_waiting: int | None = None) -> None:
        if limit < 1:
            raise ValueError("the concurrency limit must be at least 1")
        if max_waiting is not None and max_waiting < 0:
            raise ValueError("the waiting queue's bound cannot be negative")
        self.limit = limit
        self.max_waiting = limit if max_waiting is None else max_waiting
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
        if not self._make_room_for(waiter):
            return False
        heapq.heappush(self._waiters, waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.granted), wait_seconds)
        except TimeoutError:
            if waiter.granted.done():  # decided in the same tick as the time ran out
                return waiter.granted.result()
            waiter.granted.cancel()
            return False
        except BaseException:
            # The client went away while waiting: give back a slot granted meanwhile.
            if waiter.granted.done() and not waiter.granted.cancelled() and waiter.granted.result():
                self.release()
            else:
                waiter.granted.cancel()
            raise

    def _make_room_for(self, newcomer: _Waiter) -> bool:
        """Whether the newcomer may wait: the queue has room, or it is better than its worst waiter,
        who is then shed."""
        if self.waiting < self.max_waiting:
            return True
        live = [waiter for waiter in self._waiters if not waiter.granted.done()]
        worst = max(live, default=None)
        if worst is None or not newcomer < worst:
            return False
        worst.granted.set_result(False)
        return True

    def release(self) -> None:
        self.in_flight -= 1
        while self._waiters and self.in_flight < self.limit:
            waiter = heapq.heappop(self._waiters)
            if waiter.granted.done():  # gave up waiting
                continue
            self.in_flight += 1
            waiter.granted.set_result(True)
