"""``make bench ARGS="journeys"``: simulated applicants against the whole system on PostgreSQL.

1. Start the system (one replica each), prepare verified accounts (set-up, see accounts.py) and
   wait until the notification service knows their contacts.
2. Measure the ceiling: a bare FastAPI endpoint served the same way, same client, same concurrency.
3. Warm up with a few journeys; wizard steps from ``--applicants`` busy applicants (throughput), then
   from as many applicants paced at 15 % of the ceiling (latency at the target throughput); then
   ``--applicants`` concurrent journeys of people who make a request every ``--think-seconds``
   (submit → sent at a stated load); then ``--applicants`` concurrent journeys with no pause at all
   for ``--seconds`` (the machine saturated).
4. After each journeys run, wait for every accepted submission's email and SMS, then audit: stored
   once, sent once; submit → sent latency; outbox lag.
5. With ``--scaling``: the same against identity×2, application×2 (round_robin) and notification×2.

Prints tables and writes the JSON document (``--json``, default test-artifacts/bench/loadtest.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from tools.loadtest import ceiling, observe, quiet
from tools.loadtest.cpu import CpuMeter, per_unit_ms
from tools.loadtest.journey import Patience, Person
from tools.loadtest.load import LoadResult, journeys_table_rows, prepare_people, run_load, run_wizard_steps
from tools.loadtest.stats import table, write_json
from tools.loadtest.system import ROOT, Options, System, running_system

TARGETS = {"ratio_to_ceiling_min": 0.15, "wizard_step_p99_ms_max": 150.0, "errors_max": 0,
           "notification_p99_ms_max": 1000.0, "lost_max": 0, "duplicated_max": 0}


async def contacts_known(system: System, count: int, timeout: float = 120) -> None:
    """The set-up's ContactDetailsChanged events have reached the notification service."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = await asyncpg.connect(system.database_urls["notification"])
        try:
            known = await connection.fetchval("SELECT count(*) FROM recipients")
        finally:
            await connection.close()
        if known >= count:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the notification service did not learn the bench accounts' contacts in time")


@dataclass(frozen=True)
class Sizes:
    applicants: int = 50  # concurrent simulated applicants
    seconds: float = 60  # the measured journeys run
    accounts: int = 900  # prepared for the journeys run (one application each)
    steps_seconds: float = 20  # the wizard-step phase
    ceiling_seconds: float = 10
    warm_seconds: float = 30
    think_seconds: float = 1.0  # the paced journeys: one request per applicant per this many seconds
    settle_seconds: float = 60  # the longest wait for a machine at rest before a measured phase

    def paced_journey_accounts(self) -> int:
        """Enough people for the paced journeys run: a journey is ≈ 15 requests plus the 3 s must-read."""
        per_slot = self.seconds / (15 * self.think_seconds + 3)
        return int(self.applicants * (per_slot * 1.3 + 2))


def cpu_costs(result: LoadResult, cpu: dict[str, float], *, journeys: bool) -> dict[str, Any]:
    """What the phase cost each service: CPU seconds per process, and CPU milliseconds per request
    (every answered or failed HTTP request of the phase, whatever its kind) and, for journeys, per
    completed application, replicas added up. The capacity derivation (deploy/CAPACITY.md) starts
    here."""
    requests = len(result.recorder.samples)
    costs: dict[str, Any] = {"cpu_seconds": cpu, "requests": requests, "cpu_ms_per_request": per_unit_ms(cpu, requests)}
    if journeys:
        completed = sum(1 for o in result.outcomes if o.completed)
        costs["cpu_ms_per_application"] = per_unit_ms(cpu, completed)
    return costs


def phase_figures(result: LoadResult, cpu: dict[str, float], applicants: int, seconds: float) -> dict[str, Any]:
    figures = result.figures()
    return {"applicants": applicants, "seconds": seconds, "requests_per_second": figures["wizard_steps_per_second"],
            "latency": figures["wizard_steps"], "errors": figures["errors"], "error_kinds": figures["error_kinds"],
            **cpu_costs(result, cpu, journeys=False)}


async def journeys_with_audit(system: System, people: list[Person], sizes: Sizes,
                              think_seconds: float | None) -> dict[str, Any]:
    """A journeys run, then its audit: every accepted submission stored once and its email and SMS
    sent once; submit → sent; the outbox's lag and backlog while it ran; CPU per process."""
    sampler = observe.OutboxSampler({p: system.database_urls[p] for p in ("identity", "application")})
    sampler.start()
    meter = CpuMeter(system)
    await meter.start()
    result = await run_load(system.url, people, concurrency=sizes.applicants, seconds=sizes.seconds,
                            patience=Patience(), think_seconds=think_seconds)
    cpu = await meter.stop()
    backlog = await sampler.stop()
    await observe.wait_for_notifications(system.database_urls["notification"], result.outcomes, timeout=60)
    audit = await observe.audit(system.database_urls, system.outbox, result.outcomes)
    lag = await observe.publish_lag(system.database_urls["application"], result.started_at)
    return {**result.figures(), **cpu_costs(result, cpu, journeys=True), "audit": audit.as_dict(),
            "outbox": {"publish_lag": lag, **backlog}}


async def measure_system(system: System, sizes: Sizes, *, ceiling_rps: float | None) -> dict[str, Any]:
    """Warm-up, the two wizard-step phases, the two journeys runs with their audits. The ceiling is
    measured in this run unless given (the scaled run reuses the base run's, so both pace at the
    same rate)."""
    a = sizes.applicants
    paced_count = sizes.paced_journey_accounts()
    people = await asyncio.to_thread(prepare_people, system, sizes.accounts + 3 * a + paced_count)
    await contacts_known(system, system.accounts_made)
    document: dict[str, Any] = {"load_average_before": os.getloadavg()}
    settled: dict[str, Any] = {}  # each measured phase starts on a machine at rest (quiet.py)
    document["settled_before"] = settled
    if ceiling_rps is None:
        settled["ceiling"] = await quiet.settle(sizes.settle_seconds)
        found = await ceiling.measure(a, sizes.ceiling_seconds)
        document["ceiling"] = {"requests_per_second": round(found.requests_per_second, 1),
                               "latency": found.latency, "errors": found.errors,
                               "seconds": sizes.ceiling_seconds, "cpu_seconds": found.cpu_seconds}
        ceiling_rps = found.requests_per_second
    # Warm-up: caches, connection pools, the first form rendering; not counted.
    await run_load(system.url, people[:a], concurrency=a, seconds=sizes.warm_seconds)
    settled["wizard_step_phase"] = await quiet.settle(sizes.settle_seconds)
    meter = CpuMeter(system)
    await meter.start()
    busy = await run_wizard_steps(system.url, people[a:2 * a], seconds=sizes.steps_seconds)
    document["wizard_step_phase"] = phase_figures(busy, await meter.stop(), a, sizes.steps_seconds)
    # The latency target at the throughput target: the same applicants' requests arriving at 15 % of
    # the ceiling, on schedule (a closed loop's latency is only its queue: applicants / throughput).
    rate = round(TARGETS["ratio_to_ceiling_min"] * ceiling_rps, 1)
    settled["paced_phase"] = await quiet.settle(sizes.settle_seconds)
    await meter.start()
    paced = await run_wizard_steps(system.url, people[2 * a:3 * a], seconds=sizes.steps_seconds,
                                   steps_per_second=rate)
    document["paced_phase"] = {"offered_per_second": rate,
                               **phase_figures(paced, await meter.stop(), a, sizes.steps_seconds)}
    # Submit → sent at a stated load: people who read and type between requests.
    settled["paced_journeys"] = await quiet.settle(sizes.settle_seconds)
    document["paced_journeys"] = {"think_seconds": sizes.think_seconds, **await journeys_with_audit(
        system, people[3 * a:3 * a + paced_count], sizes, sizes.think_seconds)}
    # The stress run: nobody pauses, the machine is saturated.
    settled["journeys"] = await quiet.settle(sizes.settle_seconds)
    document.update(await journeys_with_audit(system, people[3 * a + paced_count:], sizes, None))
    return document


async def one_configuration(name: str, replicas: dict[str, int], sizes: Sizes,
                            ceiling_rps: float | None) -> dict[str, Any]:
    async with running_system(Options(replicas=replicas)) as system:
        document = await measure_system(system, sizes, ceiling_rps=ceiling_rps)
    return {"configuration": name, "replicas": replicas, **document}


def verdicts(base: dict[str, Any], ceiling_rps: float | None = None) -> dict[str, Any]:
    """The targets checked on one configuration's run (the ceiling: its own, or the base run's)."""
    phase, paced, journeys = base["wizard_step_phase"], base["paced_phase"], base["paced_journeys"]
    ratio = phase["requests_per_second"] / (ceiling_rps or base["ceiling"]["requests_per_second"])
    audits = (journeys["audit"], base["audit"])
    errors = phase["errors"] + paced["errors"] + journeys["errors"] + base["errors"]
    lost = sum(a["lost"] for a in audits)
    duplicated = sum(a["duplicated_applications"] + a["messages_sent_twice"] + a["deliveries_duplicated"]
                     for a in audits)
    notification_p99 = journeys["audit"]["submit_to_notification_sent"]["p99_ms"]
    checks = {
        "wizard steps / ceiling": (round(ratio, 3), ratio >= TARGETS["ratio_to_ceiling_min"]),
        "wizard step p99 ms at 15 % of the ceiling": (
            paced["latency"]["p99_ms"], paced["latency"]["p99_ms"] < TARGETS["wizard_step_p99_ms_max"]),
        "paced rate reached": (paced["requests_per_second"],
                               paced["requests_per_second"] >= 0.95 * paced["offered_per_second"]),
        "errors": (errors, errors <= TARGETS["errors_max"]),
        f"submit → sent p99 ms (a request every {journeys['think_seconds']:g} s per applicant)": (
            notification_p99, notification_p99 < TARGETS["notification_p99_ms_max"]),
        "lost": (lost, lost == 0),
        "duplicated": (duplicated, duplicated == 0),
    }
    return {k: {"value": v, "met": met} for k, (v, met) in checks.items()}


def journeys_rows(run: dict[str, Any], label: str) -> list[list[Any]]:
    audit = run["audit"]
    n, lag = audit["submit_to_notification_sent"], run["outbox"]["publish_lag"]
    return [
        [f"{label}: requests / s (wizard steps)", f"{run['requests_per_second']} ({run['wizard_steps_per_second']})"],
        [f"{label}: completed applications / s", run["completed_per_second"]],
        [f"{label}: wizard step p50 / p95 / p99 ms", percentiles(run["wizard_steps"])],
        [f"{label}: submit → email+SMS sent p50 / p99 ms", f"{n['p50_ms']} / {n['p99_ms']}"],
        [f"{label}: outbox publish lag p50 / p99 ms", f"{lag['p50_ms']} / {lag['p99_ms']}"],
        [f"{label}: outbox backlog max (rows) / oldest max s",
         f"{run['outbox']['max_backlog']} / {run['outbox']['max_oldest_seconds']}"],
        [f"{label}: accepted / stored / lost", f"{audit['accepted']} / {audit['stored']} / {audit['lost']}"],
        [f"{label}: duplicated applications / messages sent twice",
         f"{audit['duplicated_applications']} / {audit['messages_sent_twice']}"],
        [f"{label}: errors", run["errors"]],
    ]


def print_report(document: dict[str, Any]) -> None:
    for run in document["runs"]:
        print(f"\n--- {run['configuration']} {run['replicas']} — {run['applicants_started']} applicants, "
              f"{args_line(document)} ---")
        print(table(["step", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"], journeys_table_rows(run)))
        phase, paced, journeys = run["wizard_step_phase"], run["paced_phase"], run["paced_journeys"]
        rows: list[list[Any]] = [
            [f"wizard-step phase ({phase['applicants']} busy applicants): requests / s", phase["requests_per_second"]],
            ["wizard-step phase p50 / p95 / p99 ms", percentiles(phase["latency"])],
            [f"paced phase ({paced['applicants']} applicants, {paced['offered_per_second']} steps/s "
             "offered): requests / s", paced["requests_per_second"]],
            ["paced phase p50 / p95 / p99 ms", percentiles(paced["latency"])],
            *journeys_rows(journeys, f"paced journeys (a request every {journeys['think_seconds']:g} s)"),
            *journeys_rows(run, "journeys without pauses"),
        ]
        if "ceiling" in run:
            rows.insert(0, ["bare FastAPI ceiling requests / s", run["ceiling"]["requests_per_second"]])
            rows.insert(1, ["ceiling: CPU seconds of its seconds (bare server / load generator)",
                            ceiling_cpu(run["ceiling"])])
            rows.insert(2, ["wizard-step phase / ceiling", round(phase["requests_per_second"]
                                                                 / run["ceiling"]["requests_per_second"], 3)])
        rows.append(["before each phase: waited s / CPUs idle", settle_line(run.get("settled_before", {}))])
        print(table(["figure", "value"], rows))
        print("\nCPU ms per HTTP request and per completed application (replicas added up), the capacity figures"
              " (deploy/CAPACITY.md):")
        print(table(["process", "paced wizard steps", "paced journeys", "per application: paced journeys",
                     "per application: journeys without pauses"], cpu_rows(paced, journeys, run)))
        for name, kinds in (("paced journeys", journeys["error_kinds"]), ("journeys", run["error_kinds"])):
            if kinds:
                print(f"errors ({name}):", json.dumps(kinds, ensure_ascii=False))
    print("\ntargets:")
    print(table(["target", "value", "met"], [[k, v["value"], "yes" if v["met"] else "NO"]
                                             for k, v in document["verdicts"].items()]))
    if "verdicts_scaled" in document:
        print("\ntargets, scaled run (identity, application, notification ×2):")
        print(table(["target", "value", "met"], [[k, v["value"], "yes" if v["met"] else "NO"]
                                                 for k, v in document["verdicts_scaled"].items()]))
    if "scaling" in document:
        s = document["scaling"]
        print(f"\nscaling (×2 identity, application, notification): completed/s ×{s['completed_gain']}, "
              f"wizard steps/s ×{s['wizard_steps_gain']}; duplicates: {s['duplicates']}")


def cpu_rows(paced: dict[str, Any], journeys: dict[str, Any], unpaused: dict[str, Any]) -> list[list[Any]]:
    steps, mix = paced.get("cpu_ms_per_request", {}), journeys.get("cpu_ms_per_request", {})
    paced_application = journeys.get("cpu_ms_per_application", {})
    unpaused_application = unpaused.get("cpu_ms_per_application", {})
    return [[name, steps.get(name, "-"), mix.get(name, "-"), paced_application.get(name, "-"),
             unpaused_application.get(name, "-")] for name in sorted(set(steps) | set(mix))]


def ceiling_cpu(found: dict[str, Any]) -> str:
    cpu = found.get("cpu_seconds", {})
    return f"{cpu.get('bare server', '?')} / {cpu.get('load generator', '?')} of {found.get('seconds', '?')}"


def settle_line(settled: dict[str, Any]) -> str:
    return ", ".join(f"{phase} {s['seconds']} / {s['idle_share']:.0%}" for phase, s in settled.items())


def percentiles(latency: dict[str, Any]) -> str:
    return f"{latency['p50_ms']} / {latency['p95_ms']} / {latency['p99_ms']}"


def args_line(document: dict[str, Any]) -> str:
    a = document["arguments"]
    return f"{a['applicants']} concurrent, {a['seconds']} s"


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    sizes = Sizes(args.applicants, args.seconds, args.accounts, args.steps_seconds, args.ceiling_seconds,
                  think_seconds=args.think_seconds)
    runs = [await one_configuration("base", {"identity": 1, "application": 1, "notification": 1, "documents": 1},
                                    sizes, ceiling_rps=None)]
    document: dict[str, Any] = {
        "benchmark": "loadtest", "command": "make bench ARGS=\"loadtest\" (python -m tools.loadtest.benchmark "
                                            + " ".join(sys.argv[1:]) + ")",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "targets": TARGETS, "runs": runs,
    }
    document["verdicts"] = verdicts(runs[0])
    if args.scaling:
        scaled = await one_configuration("scaled", {"identity": 2, "application": 2, "notification": 2,
                                                    "documents": 1}, sizes,
                                        ceiling_rps=runs[0]["ceiling"]["requests_per_second"])
        runs.append(scaled)
        base = runs[0]
        document["verdicts_scaled"] = verdicts(scaled, base["ceiling"]["requests_per_second"])
        document["scaling"] = {
            "completed_gain": round(scaled["completed_per_second"] / max(base["completed_per_second"], 1e-9), 2),
            "wizard_steps_gain": round(scaled["wizard_step_phase"]["requests_per_second"]
                                       / max(base["wizard_step_phase"]["requests_per_second"], 1e-9), 2),
            "duplicates": document["verdicts_scaled"]["duplicated"]["value"],
            "lost": document["verdicts_scaled"]["lost"]["value"],
        }
    return document


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.loadtest.benchmark", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applicants", type=int, default=50, help="concurrent simulated applicants")
    parser.add_argument("--seconds", type=float, default=60, help="length of the measured run")
    parser.add_argument("--accounts", type=int, default=900, help="prepared accounts (one application each)")
    parser.add_argument("--ceiling-seconds", type=float, default=10)
    parser.add_argument("--steps-seconds", type=float, default=20, help="length of the wizard-step phase")
    parser.add_argument("--think-seconds", type=float, default=1.0,
                        help="the paced journeys run: each applicant makes a request every this many seconds")
    parser.add_argument("--scaling", action="store_true", help="also run with two replicas (identity, "
                        "application, notification)")
    parser.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "bench" / "loadtest.json")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    document = asyncio.run(main_async(args))
    print_report(document)
    write_json(args.json, document)
    print(f"\nJSON: {args.json}")
    return 0 if all(v["met"] for v in document["verdicts"].values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
