"""RabbitMQ restarted during load, Redis restarted, PostgreSQL connections dropped.

- RabbitMQ (``rabbitmqctl stop_app`` / ``start_app``): submissions go on being accepted (the outbox
  holds their events) and every event is delivered after the broker returns, once.
- Redis (``redis-cli shutdown nosave``, then CI's start command): a sign-in during the outage is
  refused with a clear message (a problem document, never a fault page); sign-ins work again after.
- PostgreSQL (``pg_terminate_backend`` of every connection of the system): each request is either
  served (the pool reconnects) or refused cleanly with 503; nothing is lost or duplicated.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest

from tools.loadtest.benchmark import contacts_known
from tools.loadtest.broker import PrivateRabbit, PrivateRedis
from tools.loadtest.ceiling import source_address
from tools.loadtest.chaos import (
    BUG_INTERNAL_500,
    describe,
    finish,
    is_clean_refusal,
    is_internal_fault,
    only_known_resends,
    settle,
    under_fault,
)
from tools.loadtest.client import ApiClient, Recorder, UnexpectedAnswer
from tools.loadtest.faults import drop_postgres_connections
from tools.loadtest.journey import Journey, Patience
from tools.loadtest.load import open_authorities, prepare_people
from tools.loadtest.system import System

pytestmark = [pytest.mark.chaos, pytest.mark.beside, pytest.mark.slow, pytest.mark.postgres, pytest.mark.broker, pytest.mark.redis]


def assert_nothing_lost_or_doubled(run) -> None:  # type: ignore[no-untyped-def]
    audit = run.audit
    assert audit.lost == [] and audit.stored == audit.accepted, describe(run)
    assert audit.duplicated_applications == 0, describe(run)
    assert audit.deliveries_duplicated == 0 and only_known_resends(run), describe(run)
    assert audit.deliveries_missing == 0, describe(run)
    assert run.unpublished == 0, describe(run)


@pytest.mark.timeout(300)
async def test_rabbitmq_restart_during_load_every_event_delivered_after_it_returns(
        chaos_system: System, private_rabbit: PrivateRabbit) -> None:
    people = await asyncio.to_thread(prepare_people, chaos_system, 120)
    await contacts_known(chaos_system, chaos_system.accounts_made)
    outage: dict[str, datetime] = {}

    async def restart_broker() -> float:
        outage["from"] = datetime.now(UTC)
        await private_rabbit.stop_app()
        try:
            await asyncio.sleep(6)
        finally:
            outage["to"] = datetime.now(UTC)
            await private_rabbit.start_app()  # waits until the broker answers again
        return (outage["to"] - outage["from"]).total_seconds()

    run = await settle(chaos_system, await under_fault(chaos_system, people, restart_broker, tail_seconds=6),
                       timeout=120)
    assert run.audit is not None and run.audit.accepted >= 10, describe(run)
    # The outbox decouples taking a submission from publishing its event: the broker's absence
    # did not stop applicants.
    during = [o for o in run.load.outcomes if o.submitted_at and outage["from"] <= o.submitted_at <= outage["to"]]
    assert during, describe(run)
    assert_nothing_lost_or_doubled(run)
    finish(run)


async def _sign_in(system: System, journey: Journey) -> None:
    journey.client.cookies.clear()
    await journey.sign_in()


@pytest.mark.timeout(180)
async def test_redis_restart_sign_ins_refused_clearly_during_the_outage_and_work_after(
        chaos_system: System, private_redis: PrivateRedis) -> None:
    before, during, after = await asyncio.to_thread(prepare_people, chaos_system, 3)
    authority = open_authorities()[0]
    recorder = Recorder()

    def journey(index: int, person) -> Journey:  # type: ignore[no-untyped-def]
        return Journey(ApiClient(chaos_system.url, source_address(9000 + index), recorder), person, authority,
                       Patience())

    first = journey(0, before)
    await first.sign_in()
    await first._call("draft", "GET", "/api/v1/applications/draft")

    await private_redis.shutdown()
    try:
        refused = journey(1, during)
        with pytest.raises(UnexpectedAnswer) as caught:
            await refused.sign_in()
        answer = caught.value
        problem = json.loads(answer.body)  # a problem document in both languages, whatever the status
        assert problem["message_zh"] and problem["message_en"], problem
        assert "Traceback" not in answer.body and "Redis" not in answer.body, problem
        outage_answer = {"status": answer.status, "content_type": "application/problem+json", "body": answer.body}
        assert is_clean_refusal(outage_answer) or is_internal_fault(outage_answer), (answer.step, answer.body)
    finally:
        await private_redis.start()  # CI's start options; waits until Redis answers again

    # Recovery: a new sign-in goes through (the sessions held in Redis before the restart are gone,
    # as with every restart of a Redis that keeps nothing on disk).
    deadline = time.monotonic() + 30
    again = journey(2, after)
    while True:
        try:
            await _sign_in(chaos_system, again)
            break
        except UnexpectedAnswer:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
    await again._call("draft", "GET", "/api/v1/applications/draft")
    for j in (first, refused, again):
        await j.client.close()
    if not is_clean_refusal(outage_answer):  # 500 "系统出现问题" is not the clear "try again shortly" (503)
        pytest.xfail(f"during the Redis outage {answer.step} was answered {answer.status}: {BUG_INTERNAL_500}")


@pytest.mark.timeout(300)
async def test_postgres_connections_dropped_requests_retried_or_refused_cleanly(chaos_system: System) -> None:
    people = await asyncio.to_thread(prepare_people, chaos_system, 120)
    await contacts_known(chaos_system, chaos_system.accounts_made)

    async def drop_connections() -> list[int]:
        cut = []
        for _ in range(4):
            cut.append(await drop_postgres_connections(chaos_system))
            await asyncio.sleep(2.5)
        return cut

    run = await settle(chaos_system, await under_fault(chaos_system, people, drop_connections), timeout=90)
    assert sum(run.fault) > 0, describe(run)  # connections were really cut
    assert run.audit is not None and run.audit.accepted >= 10, describe(run)
    assert_nothing_lost_or_doubled(run)
    # Cleanly: a failed request is a 503 problem document, never a fault page or a cut connection.
    unknown = [r for r in run.load.recorder.refusals if not (is_clean_refusal(r) or is_internal_fault(r))]
    assert unknown == [] and run.load.recorder.statuses[0] == 0, describe(run)
    finish(run)
