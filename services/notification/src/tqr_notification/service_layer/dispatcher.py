"""The dispatcher: claims queued deliveries, sends them, and marks each with its outcome.

It runs as a task of the service process (started by an ``on_start`` hook of the host). Up to
``concurrency`` sends are in flight at once, each on its own: a slow or failing address or provider
holds up only its own delivery. A transient failure goes back to QUEUED with a later
``next_attempt_at`` (exponential back-off with full jitter); a permanent one, or one out of
attempts, ends FAILED; a recipient over the flood limit ends HELD. The provider's answer is stored.

Broadcasts (R-STAFF-7) travel on a lower priority: a claim takes every due code and status message
first and broadcast copies only in the room left, with at most ``low_concurrency`` of them in flight
(fewer than ``concurrency``, so a code always finds room) and at most ``low_rate`` started per second
(a token bucket). A code queued while a broadcast of ten thousand drains is claimed by the next claim,
ahead of every broadcast copy still waiting.

It also keeps the gauges an autoscaler reads (tqr_notification_deliveries_due, the oldest due
delivery's age, the deliveries in flight), at almost no cost: a claim that found fewer due rows than
it had room for has just shown that none is left waiting, so only a dispatcher with no room left
counts the backlog, and at most every ``due_count_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta

from servicekit.clock import Clock
from servicekit.masking import mask_contact

from tqr_notification.adapters.delivery_repository import (
    LOW,
    QUEUED,
    ClaimedDelivery,
    Outcome,
    claim_due,
    due_backlog,
    finish,
)
from tqr_notification.adapters.recipient_directory import contact_of
from tqr_notification.adapters.senders import ChannelSenders
from tqr_notification.domain.catalogue import Channel, spec_for
from tqr_notification.domain.delivery import DeliveryResult, DeliveryStatus
from tqr_notification.domain.recipient_limit import RecipientCounter, bucket_for, is_limited
from tqr_notification.domain.retry import CODE_POLICY, RetryPolicy
from tqr_notification.metrics import DELIVERIES, DELIVERIES_DUE, DELIVERIES_IN_FLIGHT, OLDEST_DUE_AGE
from tqr_notification.service_layer.context import NotificationContext
from tqr_notification.service_layer.message_content import open_content

log = logging.getLogger(__name__)

# Marking a sent delivery is retried after these pauses (doubling) while the database is away.
MARK_FIRST_PAUSE_SECONDS = 0.1
MARK_MAX_PAUSE_SECONDS = 5.0
# The backlog is counted up to this many rows: enough to tell an autoscaler "more than every replica
# at its maximum can take" (k8s/base/notification.yaml), while one count reads a bounded index range.
DUE_COUNT_CAP = 10_000


class Dispatcher:
    def __init__(
        self,
        nctx: NotificationContext,
        senders: ChannelSenders,
        limiter: RecipientCounter | None,
        *,
        policy: RetryPolicy,
        concurrency: int = 16,
        poll_seconds: float = 0.5,
        lease_seconds: float = 120.0,
        skip_locked: bool = False,
        due_count_seconds: float = 5.0,
        rng: random.Random | None = None,
        low_concurrency: int = 8,
        low_rate: float = 20.0,
    ) -> None:
        self.nctx = nctx
        self.senders = senders
        self.limiter = limiter
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds
        self.skip_locked = skip_locked
        self.due_count_seconds = due_count_seconds
        self._due_counted_at = float("-inf")
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._low_in_flight: set[asyncio.Task[None]] = set()
        # Room is always left for codes: with one slot in all, broadcasts take it only when idle.
        self.low_concurrency = max(1, min(low_concurrency, self.concurrency - 1))
        self._low_pace = Pace(low_rate)
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def clock(self) -> Clock:
        return self.nctx.clock

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._loop_task = asyncio.create_task(self._run(), name="notification-dispatcher")

    async def stop(self, grace: float = 10.0) -> None:
        """Claim nothing more; let the sends in flight finish and be marked (up to ``grace``)."""
        self._stopping = True
        self.wake()
        if self._loop_task is not None:
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._in_flight:
            _, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            for task in pending:  # their leases run out and another process sends them
                task.cancel()
        await self.senders.aclose()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._wake.clear()
            free = self.concurrency - len(self._in_flight)
            low_room = min(self.low_concurrency - len(self._low_in_flight), self._low_pace.available(loop.time()))
            claimed: list[ClaimedDelivery] = []
            claim_failed = False
            if free > 0:
                try:
                    claimed = await claim_due(
                        self.nctx.sessions, now=self.clock.now(), limit=free,
                        lease_seconds=self.lease_seconds, skip_locked=self.skip_locked,
                        low_limit=max(0, low_room),
                    )
                except Exception:
                    claim_failed = True
                    log.exception("claiming deliveries failed; trying again shortly")
            low_claimed = 0
            for delivery in claimed:
                task = asyncio.create_task(self._deliver(delivery))
                self._in_flight.add(task)
                if delivery.priority >= LOW:
                    low_claimed += 1
                    self._low_in_flight.add(task)
                task.add_done_callback(self._done)
            self._low_pace.take(low_claimed, loop.time())
            DELIVERIES_IN_FLIGHT.set(len(self._in_flight))
            if not claim_failed:
                await self._record_due(all_taken=free > 0 and len(claimed) < free and low_claimed < low_room)
            if free == 0 or len(claimed) < free:
                timeout = self.poll_seconds
                if low_claimed and low_claimed == low_room:  # more broadcast copies may wait for a token
                    timeout = min(timeout, self._low_pace.seconds_until_one(loop.time()))
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=timeout)
                except TimeoutError:
                    pass

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._low_in_flight.discard(task)
        DELIVERIES_IN_FLIGHT.set(len(self._in_flight))
        self.wake()

    async def _record_due(self, *, all_taken: bool) -> None:
        """``all_taken``: the claim just made had room for more than it found, so nothing due is
        left unclaimed (a row another replica holds locked at this instant aside): zero, no query."""
        if all_taken:
            DELIVERIES_DUE.set(0)
            OLDEST_DUE_AGE.set(0)
            return
        loop_now = asyncio.get_running_loop().time()
        if loop_now - self._due_counted_at < self.due_count_seconds:
            return
        self._due_counted_at = loop_now
        now = self.clock.now()
        try:
            backlog = await due_backlog(self.nctx.sessions, now=now, cap=DUE_COUNT_CAP)
        except Exception:
            log.warning("counting the due deliveries failed; the gauge keeps its last value", exc_info=True)
            return
        DELIVERIES_DUE.set(backlog.count)
        waited = (now - backlog.oldest_due_at).total_seconds() if backlog.oldest_due_at is not None else 0.0
        OLDEST_DUE_AGE.set(max(0.0, waited))

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        claimed_at = asyncio.get_running_loop().time()
        try:
            outcome = await self._attempt(delivery)
        except Exception as error:
            log.exception("delivery attempt broke", extra={"delivery_id": delivery.delivery_id})
            result = DeliveryResult.failed(f"internal error: {type(error).__name__}", transient=True)
            outcome = self._outcome(delivery, result, delivery.attempts + 1)
        marked = await self._mark(delivery, outcome, claimed_at)
        if marked is None:
            return
        DELIVERIES.labels(delivery.channel, "retry" if outcome.status == QUEUED else outcome.status.lower()).inc()
        if not marked:
            log.warning("a delivery's lease ran out before it was marked",
                        extra={"delivery_id": delivery.delivery_id})

    async def _mark(self, delivery: ClaimedDelivery, outcome: Outcome, claimed_at: float) -> bool | None:
        """Record the outcome (False: the claim was lost); None when the database stayed out of reach.

        A message the provider accepted but whose row stays unmarked is claimed again when the
        lease runs out, and sent a second time. So a write that fails (a dropped connection, a
        database restart) is tried again, with back-off, for up to half the lease: well before
        another claim can take the row. Marking twice is harmless: it is keyed by our claim token."""
        loop = asyncio.get_running_loop()
        give_up_at = claimed_at + self.lease_seconds / 2
        pause = MARK_FIRST_PAUSE_SECONDS
        while True:
            try:
                return await finish(self.nctx.sessions, delivery, outcome, self.clock.now())
            except Exception:
                if loop.time() + pause >= give_up_at:
                    log.exception("marking a delivery failed; when its lease runs out it is sent again",
                                  extra={"delivery_id": delivery.delivery_id})
                    return None
                log.warning("marking a delivery failed; trying again", exc_info=True,
                            extra={"delivery_id": delivery.delivery_id})
                await asyncio.sleep(pause)
                pause = min(pause * 2, MARK_MAX_PAUSE_SECONDS)

    async def _attempt(self, delivery: ClaimedDelivery) -> Outcome:
        spec = spec_for(delivery.event_type)
        channel = Channel(delivery.channel)
        destination = await self._destination(delivery, channel)
        if destination is None:
            # Transient: the contact may still be on its way (events from identity arrive in any order).
            missing = "no mobile number" if channel is not Channel.EMAIL else "no email address"
            result = DeliveryResult.failed(f"{missing} on file for this recipient", transient=True)
            return self._outcome(delivery, result, delivery.attempts + 1)
        if is_limited(channel) and self.limiter is not None:
            try:
                decision = await self.limiter.admit(destination, bucket_for(spec), delivery.idempotency_key)
            except Exception:
                # Fail open: the limit protects people from floods; an outage of its store must not
                # stop codes and status notices from reaching anyone.
                log.warning("recipient limit unavailable; sending without it", exc_info=True)
            else:
                if not decision.allowed:
                    log.info("recipient over the limit; delivery held",
                             extra={"delivery_id": delivery.delivery_id, "to": mask_contact(destination)})
                    return self._outcome(delivery, decision.as_held_result(), delivery.attempts)
        rendered = open_content(self.nctx.sealers.at_rest, delivery.content_sealed)
        result = await self.senders.send(
            channel, destination, rendered,
            delivery_id=delivery.delivery_id, idempotency_key=delivery.idempotency_key,
        )
        return self._outcome(delivery, result, delivery.attempts + 1)

    async def _destination(self, delivery: ClaimedDelivery, channel: Channel) -> str | None:
        if delivery.destination_sealed:
            return self.nctx.sealers.at_rest.open(delivery.destination_sealed)
        async with self.nctx.reading() as session:
            contact = await contact_of(session, self.nctx.sealers, delivery.recipient_id)
        if contact is None:
            return None
        return contact.email if channel is Channel.EMAIL else contact.mobile

    def _outcome(self, delivery: ClaimedDelivery, result: DeliveryResult, attempts: int) -> Outcome:
        answer = result.provider_answer
        if result.status is not DeliveryStatus.FAILED:
            return Outcome(result.status.value, attempts, answer, result.provider_message_id)
        policy = CODE_POLICY if spec_for(delivery.event_type).carries_secret else self.policy
        if policy.should_retry(result, attempts):
            delay = policy.delay_after(attempts, self._rng)
            later = self.clock.now() + timedelta(seconds=delay)
            return Outcome(QUEUED, attempts, answer, next_attempt_at=later)
        return Outcome(DeliveryStatus.FAILED.value, attempts, answer)


class Pace:
    """A token bucket: ``rate`` starts a second, up to one second's worth saved (0 or less: no limit)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.burst = max(1.0, rate)
        self._tokens = self.burst
        self._at: float | None = None

    def _refill(self, now: float) -> None:
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now

    def available(self, now: float) -> int:
        if self.rate <= 0:
            return 1 << 30
        self._refill(now)
        return int(self._tokens)

    def take(self, count: int, now: float) -> None:
        if self.rate > 0 and count:
            self._refill(now)
            self._tokens -= count

    def seconds_until_one(self, now: float) -> float:
        if self.rate <= 0:
            return 0.0
        self._refill(now)
        return max(0.0, (1 - self._tokens) / self.rate)
