"""Driving many simulated applicants at once against a running system.

A closed loop: ``concurrency`` applicants are always in a journey; each finished one is replaced by
the next person, until the time is up or every prepared account has applied once (one live
application per certificate and plan, R-WIZ-9, so a person applies once). Both bounds keep a run
finite. Throughput counts what started inside the measured window; latency counts every answer.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tools.loadtest.ceiling import source_address
from tools.loadtest.client import ApiClient, Pacer, Recorder, UnexpectedAnswer, collector_paused
from tools.loadtest.journey import WIZARD_STEPS, Journey, Outcome, Patience, Person
from tools.loadtest.stats import summary
from tools.loadtest.system import ROOT, System

STEP_ORDER = ("csrf-token", "human-check", "human-check-answer", "sign-in", "draft",
              *(f"step:{s}" for s in WIZARD_STEPS), "submit", "status", "form")


def open_authorities(today: date | None = None) -> list[str]:
    """Authorities of the loaded data set whose plan is open today and has confirmation points."""
    from tqr_application.reference_data import demo_plan_scenarios

    now = datetime.now(UTC)
    found = []
    for scenario in demo_plan_scenarios():
        online, windows = scenario.resolve(today or date.today())
        if online is not None and windows and online[0] <= now <= online[1]:
            found.append(scenario.authority_code)
    return found


def prepare_people(system: System, count: int) -> list[Person]:
    """BENCH SET-UP: verified accounts written straight into the identity database (tools.loadtest.accounts).
    Each call makes new people (the system counts how many it has made)."""
    start = system.accounts_made
    system.accounts_made += count
    out = system.var / f"accounts-{start}-{count}.json"
    subprocess.run([sys.executable, "-m", "tools.loadtest.accounts", str(count), str(out), str(start)],  # noqa: S603
                   env=system.env, cwd=ROOT, check=True, capture_output=True)
    rows = json.loads(out.read_text(encoding="utf-8"))
    return [Person(r["account_id"], r["document_number"], r["name"], r["email"], r["password"]) for r in rows]


@dataclass
class LoadResult:
    started: float
    window_seconds: float
    outcomes: list[Outcome]
    recorder: Recorder
    started_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)

    def in_window(self) -> dict[str, list[float]]:
        return self.recorder.by_step(self.started, self.started + self.window_seconds)

    def wizard_step_latencies(self) -> list[float]:
        every = self.recorder.by_step()
        return [v for s in WIZARD_STEPS for v in every.get(f"step:{s}", [])]

    def figures(self) -> dict[str, Any]:
        window = self.in_window()
        completed = [o for o in self.outcomes if o.completed]
        steps_in_window = sum(len(window.get(f"step:{s}", [])) for s in WIZARD_STEPS)
        every = self.recorder.by_step()
        return {
            "applicants_started": len(self.outcomes),
            "applications_completed": len(completed),
            "applications_accepted": sum(1 for o in self.outcomes if o.accepted),
            "completed_per_second": round(len(completed) / max(self.elapsed, 1e-9), 2),
            "wizard_steps_per_second": round(steps_in_window / self.window_seconds, 1),
            "requests_per_second": round(sum(len(v) for v in window.values()) / self.window_seconds, 1),
            "window_seconds": round(self.window_seconds, 1),
            "elapsed_seconds": round(self.elapsed, 1),
            "errors": sum(self.recorder.errors.values()),
            "error_kinds": dict(self.recorder.errors),
            "error_examples": self.recorder.error_examples,
            "retries": dict(self.recorder.retries),
            "steps": {step: summary(every[step]) for step in STEP_ORDER if step in every},
            "wizard_steps": summary(self.wizard_step_latencies()),
            "journey": summary([o.journey_seconds for o in completed]),
        }

    @property
    def elapsed(self) -> float:
        return float(self.extra.get("elapsed", self.window_seconds))


async def run_load(url: str, people: list[Person], *, concurrency: int, seconds: float,
                   patience: Patience = Patience(), authorities: list[str] | None = None,
                   stop: asyncio.Event | None = None, think_seconds: float | None = None) -> LoadResult:
    """``stop`` (optional) ends the run early: no new journey starts once it is set.

    ``think_seconds``: each applicant makes a request every that many seconds on average (random
    gaps), on a schedule of its own whatever the answers' speed (an open loop, each request timed from
    when it was due), as a person who reads and types between requests; without it, the next request
    follows the answer."""
    codes = authorities or open_authorities()
    if not codes:
        raise RuntimeError("no authority of the data set has an open plan today")
    recorder = Recorder()
    queue: asyncio.Queue[tuple[int, Person]] = asyncio.Queue()
    for index, person in enumerate(people):
        queue.put_nowait((index, person))
    outcomes: list[Outcome] = []
    started = time.monotonic()
    started_at = datetime.now(UTC)
    stop_at = started + seconds

    async def applicant_slot() -> None:
        # The slot's schedule runs on across journeys.
        pacer = Pacer(think_seconds, random_gaps=True) if think_seconds else None
        while time.monotonic() < stop_at and not (stop is not None and stop.is_set()):
            try:
                index, person = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            client = ApiClient(url, source_address(index), recorder)
            client.pacer = pacer
            try:
                outcomes.append(await Journey(client, person, codes[index % len(codes)], patience).run())
            finally:
                await client.close()

    with collector_paused():
        await asyncio.gather(*(applicant_slot() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    result = LoadResult(started, min(seconds, elapsed), outcomes, recorder, started_at)
    result.extra["elapsed"] = elapsed
    return result


def journeys_table_rows(figures: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for step, s in figures["steps"].items():
        rows.append([step, s["count"], s["p50_ms"], s["p95_ms"], s["p99_ms"], s["max_ms"]])
    w = figures["wizard_steps"]
    rows.append(["wizard steps (all 7)", w["count"], w["p50_ms"], w["p95_ms"], w["p99_ms"], w["max_ms"]])
    return rows


async def run_wizard_steps(url: str, people: list[Person], *, seconds: float, authorities: list[str] | None = None,
                           steps_per_second: float | None = None) -> LoadResult:
    """Wizard-step requests from ``len(people)`` applicants: each signs in and waits out the must-read
    page (not measured), then, all together, saves steps 2-7 and goes back to step 2 to correct them,
    again and again, for ``seconds``.

    Without ``steps_per_second`` every applicant sends its next request as soon as the last is
    answered (a closed loop: the most the system does with that many people busy). With it, the
    applicants together make that many wizard-step requests a second on a fixed schedule, however
    fast the answers come (an open loop), and each request is timed from when it was due."""
    codes = authorities or open_authorities()
    recorder = Recorder()
    ready = asyncio.Barrier(len(people) + 1)
    window: dict[str, float] = {}
    # Six wizard steps and one go-back per round: pace all seven so the steps alone make the rate.
    interval = len(people) / (steps_per_second * 7 / 6) if steps_per_second else None

    async def applicant(index: int, person: Person) -> Outcome:
        client = ApiClient(url, source_address(index), recorder)
        journey = Journey(client, person, codes[index % len(codes)], Patience())
        try:
            try:
                await journey.sign_in()
                draft = (await journey._call("draft", "GET", "/api/v1/applications/draft")).json()["draft"]
                await asyncio.sleep(float(draft.get("must_read_seconds_left") or 0) + 0.05)
                await journey.step("must-read", {})
            except UnexpectedAnswer:
                journey.outcome.failed_step = "set-up"
            finally:
                await ready.wait()
            stop = window.setdefault("stop", time.monotonic() + seconds)  # whoever wakes first starts the clock
            client.pacer = Pacer(interval) if interval else None
            while not journey.outcome.failed_step and time.monotonic() < stop:
                await journey.step_two_to_seven()
                await journey.go_back_to_step_two()
            journey.outcome.completed = not journey.outcome.failed_step
        except UnexpectedAnswer as exc:  # already counted as an error by the journey
            journey.outcome.failed_step = exc.step
        finally:
            await client.close()
        return journey.outcome

    with collector_paused():
        tasks = [asyncio.create_task(applicant(i, p)) for i, p in enumerate(people)]
        await ready.wait()
        started = window.setdefault("stop", time.monotonic() + seconds) - seconds
        started_at = datetime.now(UTC)
        outcomes = list(await asyncio.gather(*tasks))
    elapsed = time.monotonic() - started
    result = LoadResult(started, seconds, outcomes, recorder, started_at)
    result.extra["elapsed"] = elapsed
    return result
