"""Load with a fault in the middle, then the audit: the shape every fault test shares.

``under_fault`` starts simulated applicants who retry for a while when the system is disturbed
(submissions always with the same Idempotency-Key), waits until they are under way, injects the
fault, lets the load run on a little after the fault is over, and returns what the clients saw.
``settle`` waits until every accepted submission's messages are out and audits the databases and
the development outbox (tools.loadtest.observe).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tools.loadtest import observe
from tools.loadtest.journey import Patience, Person
from tools.loadtest.load import LoadResult, run_load
from tools.loadtest.system import System


@dataclass
class FaultRun:
    load: LoadResult
    fault: Any
    audit: observe.Audit | None = None
    unpublished: int = 0


async def under_fault(system: System, people: list[Person], fault: Callable[[], Awaitable[Any]], *,
                      concurrency: int = 8, patience_seconds: float = 45.0, lead_seconds: float = 4.0,
                      tail_seconds: float = 4.0) -> FaultRun:
    stop = asyncio.Event()
    load = asyncio.create_task(run_load(system.url, people, concurrency=concurrency, seconds=600,
                                        patience=Patience(patience_seconds), stop=stop))
    try:
        await asyncio.sleep(lead_seconds)
        outcome = await fault()
        await asyncio.sleep(tail_seconds)
    finally:
        stop.set()
    return FaultRun(await load, outcome)


async def settle(system: System, run: FaultRun, timeout: float = 60.0) -> FaultRun:
    await observe.wait_for_notifications(system.database_urls["notification"], run.load.outcomes, timeout)
    run.audit = await observe.audit(system.database_urls, system.outbox, run.load.outcomes)
    lag = await observe.publish_lag(system.database_urls["application"], run.load.started_at)
    run.unpublished = int(lag["unpublished"])
    return run


def describe(run: FaultRun) -> str:
    """What to print when an assertion fails: enough to see what went wrong without the logs."""
    load = run.load
    return (f"fault={run.fault!r}\naudit={run.audit.as_dict() if run.audit else None}\n"
            f"unpublished={run.unpublished}\nstatuses={dict(load.recorder.statuses)}\n"
            f"errors={dict(load.recorder.errors)}\nretries={dict(load.recorder.retries)}\n"
            f"refusals={load.recorder.refusals[:5]}\n"
            f"failed={[o.failed_step for o in load.outcomes if not o.completed]}")


# Two service bugs the fault tests found (see the report of issue 9); the tests name them when
# they are what stands between a run and a clean pass, and fail on anything else.
BUG_SESSION_401 = ("gateway: a signed-in applicant is answered 401 (sign in first) while the identity "
                   "service cannot resolve sessions (restart, database cut); it should be 503")
BUG_RESEND = ("notification: a delivery is sent again when its process dies or loses the database between "
              "sending and marking it SENT (the lease expires and another claim sends it; same Message-ID)")
BUG_INTERNAL_500 = ("services: a lost Redis or PostgreSQL connection surfaces as INTERNAL (HTTP 500, "
                    "'系统出现问题') instead of UNAVAILABLE (HTTP 503, '系统暂时无法处理…')")


def is_internal_fault(refusal: dict[str, Any]) -> bool:
    return refusal["status"] == 500 and refusal["content_type"].startswith("application/problem+json") \
        and '"code":"INTERNAL"' in refusal["body"]


def is_clean_refusal(refusal: dict[str, Any]) -> bool:
    return refusal["status"] == 503 and refusal["content_type"].startswith("application/problem+json")


def known_bugs(run: FaultRun) -> list[str]:
    """Which of the known bugs showed in this run (empty: none)."""
    found = []
    if run.load.recorder.statuses[401]:
        found.append(f"{run.load.recorder.statuses[401]}× {BUG_SESSION_401}")
    internal = [r for r in run.load.recorder.refusals if is_internal_fault(r)]
    if internal:
        found.append(f"{len(internal)}× {BUG_INTERNAL_500}")
    if run.audit is not None and run.audit.resent_same_delivery:
        found.append(f"{run.audit.resent_same_delivery}× {BUG_RESEND}")
    return found


def only_known_resends(run: FaultRun) -> bool:
    """Every message sent twice was one delivery sent again (BUG_RESEND), not a second delivery."""
    audit = run.audit
    return audit is not None and audit.messages_sent_twice == audit.resent_same_delivery


def unexplained_errors(run: FaultRun) -> dict[str, int]:
    """Errors (answers the clients gave up on) that neither known bug accounts for."""
    return {kind: n for kind, n in run.load.recorder.errors.items()
            if not (kind.endswith("HTTP 401") or kind.endswith("HTTP 500"))}


def finish(run: FaultRun) -> None:
    """The end of every fault test: anything unexplained fails; a known bug is reported as xfail
    (it flips to a pass once fixed); otherwise every applicant must have got through."""
    import pytest

    assert unexplained_errors(run) == {}, describe(run)
    bugs = known_bugs(run)
    if bugs:
        pytest.xfail("; ".join(bugs))
    assert all(o.completed for o in run.load.outcomes), describe(run)
