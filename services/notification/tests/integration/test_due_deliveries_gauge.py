"""The figures notification is autoscaled on (k8s/base/notification.yaml): the due deliveries no
process has claimed yet, how long the oldest has waited, and the deliveries in flight, against the
real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import tqr_notification
from prometheus_client import REGISTRY
from servicekit import db, migrations
from servicekit.clock import SystemClock
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from testkit import wait_for
from tqr_notification.adapters.delivery_repository import (
    ClaimedDelivery,
    NewDelivery,
    Outcome,
    due_backlog,
    stage_delivery,
)
from tqr_notification.adapters.orm import deliveries
from tqr_notification.adapters.sealing import Sealers
from tqr_notification.config import NotificationSettings
from tqr_notification.domain.delivery import DeliveryStatus
from tqr_notification.domain.retry import RetryPolicy
from tqr_notification.service_layer.context import NotificationContext
from tqr_notification.service_layer.dispatcher import Dispatcher

pytestmark = pytest.mark.postgres

MIGRATIONS = Path(tqr_notification.__file__).parent / "migrations"


def gauge(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    assert value is not None, f"{name} is not exported"
    return value


@pytest.fixture
async def sessions(pg_url: str) -> Any:
    migrations.upgrade(MIGRATIONS, pg_url)
    engine = db.create_engine(pg_url)
    yield db.sessionmaker(engine)
    await engine.dispose()


async def stage(sessions: async_sessionmaker[AsyncSession], count: int, due_at: datetime, *,
                prefix: str, in_app: bool = False) -> list[str]:
    """``count`` deliveries staged as the event handler stages them, due at ``due_at``."""
    ids = []
    async with sessions() as session, session.begin():
        for i in range(count):
            new = NewDelivery(f"{prefix}-{i}", "tqr.identity.v1.AccountRegistered", "email", f"acc-{prefix}-{i}",
                              content_sealed="sealed")
            ids.append(await stage_delivery(session, new, due_at, delivered_in_app="inbox-1" if in_app else None))
    return ids


async def test_the_backlog_counts_due_unclaimed_deliveries_and_dates_the_oldest(sessions):
    now = datetime.now(UTC).replace(microsecond=0)
    oldest = now - timedelta(minutes=5)
    for minutes in range(1, 6):
        await stage(sessions, 1, now - timedelta(minutes=minutes), prefix=f"due{minutes}")
    await stage(sessions, 2, now + timedelta(minutes=1), prefix="later")  # a retry not due yet
    await stage(sessions, 3, oldest - timedelta(minutes=1), prefix="sent", in_app=True)  # done already
    (leased,) = await stage(sessions, 1, oldest - timedelta(minutes=2), prefix="leased")
    async with sessions() as session, session.begin():  # another process is sending it
        await session.execute(update(deliveries).where(deliveries.c.delivery_id == leased)
                              .values(claim_token="someone", claimed_until=now + timedelta(minutes=2)))

    backlog = await due_backlog(sessions, now=now, cap=100)
    assert (backlog.count, backlog.oldest_due_at) == (5, oldest)
    # A long backlog is read only up to the cap, and still dated by its oldest row.
    capped = await due_backlog(sessions, now=now, cap=3)
    assert (capped.count, capped.oldest_due_at) == (3, oldest)
    empty = await due_backlog(sessions, now=oldest - timedelta(hours=1), cap=100)
    assert (empty.count, empty.oldest_due_at) == (0, None)


class GatedDispatcher(Dispatcher):
    """Sends nothing until the gate opens: a provider slower than the deliveries arrive."""

    gate: asyncio.Event

    async def _attempt(self, delivery: ClaimedDelivery) -> Outcome:
        await self.gate.wait()
        return Outcome(DeliveryStatus.SENT.value, delivery.attempts + 1, "accepted")


class NoSenders:
    async def aclose(self) -> None:
        return None


async def test_a_saturated_dispatcher_reports_the_waiting_work_and_zero_once_it_caught_up(sessions):
    settings = NotificationSettings(environment="test")
    nctx = NotificationContext(sessions=sessions, reading_sessions=db.reading_sessionmaker(sessions.kw["bind"]),
                               clock=SystemClock(),
                               sealers=Sealers.from_keys(settings.sealing_keys, settings.field_keys),
                               recipient_hmac_key=b"k" * 16)
    dispatcher = GatedDispatcher(nctx, NoSenders(), None, policy=RetryPolicy(), concurrency=2,  # type: ignore[arg-type]
                                 poll_seconds=0.05, due_count_seconds=0.0, skip_locked=True)
    dispatcher.gate = asyncio.Event()
    first_due = datetime.now(UTC) - timedelta(minutes=3)
    await stage(sessions, 6, first_due, prefix="burst")
    await dispatcher.start()
    try:
        # Two in flight (its concurrency), the other four waiting for it, the oldest due minutes ago.
        await wait_for(lambda: (gauge("tqr_notification_deliveries_in_flight"),
                                gauge("tqr_notification_deliveries_due")) == (2, 4),
                       timeout=20, what="two in flight and four due")
        assert gauge("tqr_notification_oldest_due_age_seconds") >= 3 * 60
        dispatcher.gate.set()
        await wait_for(lambda: (gauge("tqr_notification_deliveries_in_flight"),
                                gauge("tqr_notification_deliveries_due"),
                                gauge("tqr_notification_oldest_due_age_seconds")) == (0, 0, 0),
                       timeout=20, what="everything sent and the gauges back at zero")
    finally:
        await dispatcher.stop(grace=5)
    async with sessions() as session:
        statuses = (await session.scalars(select(deliveries.c.status))).all()
    assert statuses == ["SENT"] * 6
