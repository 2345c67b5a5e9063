"""``make bench ARGS="loadtest"``: the wizard step measured with wrk, and what each process paid for it.

1. Start the system (one replica each, PostgreSQL-backed, system.py) and sign in ``--applicants``
   verified applicants with the Python journey (journey.py): human check, sign-in, the must-read
   wait, then steps 2-7 once and back to step 2, so every answer is one the system accepts. Their
   session cookies, CSRF tokens and answers become a wrk Lua script (wrk.py).
2. **Ceiling:** the bare endpoint (ceiling.py, served as the gateway is), driven by wrk at the same
   concurrency.
3. Warm-up (not counted), then **busy:** wrk with one connection per applicant, each sending as soon
   as answered: the most wizard steps a second the system does.
4. **Paced:** the same applicants at a fixed rate of ``--paced-share`` (70 %) of the busy figure,
   each request timed from its slot (wrk.py): the tail latency at a stated load.
5. Optionally (``--journeys-seconds``), journeys without pauses driven by the Python generator
   (each a different person: sign-in → 7 steps → submit → status → PDF), with its own CPU.

Before each measured phase: a checkpoint and a machine at rest (quiet.py). During each: CPU per
process (machine.py) and new PostgreSQL sessions. A "step" is any request of the rotation: six step
saves and one go-back per round.
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

import httpx

from tools.loadtest import ceiling, quiet, wrk
from tools.loadtest.benchmark import contacts_known
from tools.loadtest.broker import free_port, wait_until
from tools.loadtest.ceiling import source_address
from tools.loadtest.client import ApiClient, Recorder, UnexpectedAnswer
from tools.loadtest.cpu import cpu_seconds
from tools.loadtest.journey import Journey, Patience, Person, certificate_details, materials
from tools.loadtest.load import open_authorities, prepare_people, run_load
from tools.loadtest.machine import ELSEWHERE, GENERATOR, INTERRUPTS, MachineMeter, per_step_ms
from tools.loadtest.stats import summary, table, write_json
from tools.loadtest.system import PG_ADMIN_URL, ROOT, Options, System, running_system

TARGETS = {"machine_cpu_ms_per_step_max": 1.5, "ratio_to_ceiling_min": 0.15, "paced_p99_ms_max": 100.0,
           "paced_share": 0.70}
SERVICES = ("gateway", "application", "identity", "notification", "documents")


@dataclass(frozen=True)
class Sizes:
    applicants: int = 50
    ceiling_seconds: float = 10
    warm_seconds: float = 5
    busy_seconds: float = 20
    paced_seconds: float = 20
    paced_share: float = TARGETS["paced_share"]
    journeys_seconds: float = 30  # 0: no journeys run
    settle_seconds: float = 60
    repeats: int = 1  # ceiling, busy and paced again on the same system
    pages_seconds: float = 10  # each public page of PUBLIC_PAGES; 0: none


# Public pages a new visitor asks for, measured after the wizard steps: the home page (its 重要时间
# come from the application service, every live plan with its points) and a help page, which no
# service is asked for: the gateway's own cost of a page, the baseline the home page is read against.
PUBLIC_PAGES = ("/", "/help/faq")

# The wizard as a browser walks it (the JSON API's steps above are what scripts and apps send): a
# page of one question, step 4's page (code lists, where the school is, every authority with its
# online window), a choice of province and city on it (the page drawn again, nothing saved), a
# step saved (answered by a redirect to the next page), and the applicant's portal.
BROWSER_PAGES = (
    wrk.BrowserRequest("GET", "/apply/step/2"),
    wrk.BrowserRequest("GET", "/apply/step/4"),
    wrk.BrowserRequest("POST", "/apply/step/4", "action=filter&school_province=110000&school_city=110100"),
    wrk.BrowserRequest("POST", "/apply/step/2", "accept=yes"),
    wrk.BrowserRequest("GET", "/portal"),
)


async def sign_in_applicant(url: str, index: int, person: Person, authority: str,
                            recorder: Recorder) -> wrk.WizardApplicant:
    """The journey's own sign-in and first pass through the wizard, then its session for wrk."""
    client = ApiClient(url, source_address(index), recorder)
    journey = Journey(client, person, authority, Patience())
    try:
        await journey.sign_in()
        await journey.wizard()  # the must-read wait, step 1, then steps 2-7 as the journey answers them
        await journey.go_back_to_step_two()
        draft = (await client.call("draft", "GET", "/api/v1/applications/draft")).json()["draft"]
        answers = {"certificate-details": certificate_details(person, authority),
                   "point": {"point_code": draft["point_code"]}, "materials": materials(person)}
        return wrk.WizardApplicant(headers=client.session_headers(), answers=answers)
    finally:
        await client.close()


async def sign_in_applicants(system: System, people: list[Person]) -> list[wrk.WizardApplicant]:
    codes = open_authorities()
    if not codes:
        raise RuntimeError("no authority of the data set has an open plan today")
    recorder = Recorder()
    try:
        return list(await asyncio.gather(*(sign_in_applicant(system.url, i, p, codes[i % len(codes)], recorder)
                                           for i, p in enumerate(people))))
    except UnexpectedAnswer as exc:
        raise RuntimeError(f"preparing the applicants failed: {exc}: {exc.body[:300]}") from exc


def meter_for(system: System) -> MachineMeter:
    processes = {s.name.rsplit("-", 1)[0]: s.popen.pid for s in system.services if s.popen is not None}
    databases = [url.rsplit("/", 1)[1] for url in system.database_urls.values()]
    return MachineMeter(processes, databases, PG_ADMIN_URL)


def system_ms(per_step: dict[str, float]) -> float:
    """The system's processes only: not the generator, the kernel's interrupt time or other work."""
    return round(sum(v for k, v in per_step.items() if k not in (GENERATOR, ELSEWHERE, INTERRUPTS)), 3)


def phase_document(run: wrk.WrkRun, cpu: dict[str, float], sessions: int, settled: dict[str, Any]) -> dict[str, Any]:
    steps = run.answered_2xx
    per_step = per_step_ms(cpu, steps)
    return {"seconds": round(run.seconds, 2), "steps": steps, "steps_per_second": round(run.per_second, 1),
            "errors": run.errors, "statuses": run.report["statuses"], "unmatched": run.report["unmatched"],
            "latency": summary([ms / 1000 for ms in run.report["latencies_ms"]]),
            "cpu_seconds": cpu, "cpu_ms_per_step": per_step, "system_cpu_ms_per_step": system_ms(per_step),
            "new_postgres_sessions": sessions, "settled_before": settled}


async def measured_wrk(system: System, meter: MachineMeter, sizes: Sizes, script_for: Any, seconds: float,
                       name: str) -> dict[str, Any]:
    settled = await quiet.settle(sizes.settle_seconds)
    await meter.start()
    run = await asyncio.to_thread(wrk.run, system.url, script_for, system.var / "wrk",
                                  connections=sizes.applicants, seconds=seconds, name=name)
    await asyncio.sleep(1.5)  # backends flush their session counts to pg_stat_database within a second
    cpu, sessions = await meter.stop(run.cpu_seconds)
    return phase_document(run, cpu, sessions, settled)


async def measured_page(system: System, meter: MachineMeter, sizes: Sizes, page: str) -> dict[str, Any]:
    """``page`` asked for by wrk as fast as answered: pages/s and CPU ms per page of every process."""
    name = "page-home" if page == "/" else "page" + page.replace("/", "-")

    def script_for(report: Path) -> str:
        return wrk.page_script(report, page)

    await asyncio.to_thread(wrk.run, system.url, script_for, system.var / "wrk", connections=sizes.applicants,
                            seconds=2, name=f"{name}-warm")
    return await measured_wrk(system, meter, sizes, script_for, sizes.pages_seconds, name)


async def measured_browser_page(system: System, meter: MachineMeter, sizes: Sizes,
                                 applicants: list[wrk.WizardApplicant], asked: wrk.BrowserRequest) -> dict[str, Any]:
    """``asked`` by the signed-in applicants in turn as fast as answered: pages/s and CPU ms per page."""

    def script_for(report: Path) -> str:
        return wrk.browser_script(applicants, report, asked)

    await asyncio.to_thread(wrk.run, system.url, script_for, system.var / "wrk", connections=sizes.applicants,
                            seconds=2, name="browser-warm")
    return await measured_wrk(system, meter, sizes, script_for, sizes.pages_seconds, "browser")


async def measure_ceiling(sizes: Sizes, workdir: Path) -> dict[str, Any]:
    port = free_port()
    process = ceiling.start_server(port)
    try:
        url = f"http://127.0.0.1:{port}/bare"

        def answers() -> bool:
            try:
                return httpx.put(url, json={}, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_until(answers, 30, "the bare endpoint")
        await asyncio.to_thread(wrk.run, url, wrk.ceiling_script, workdir, connections=sizes.applicants,
                                seconds=2, name="ceiling-warm")
        settled = await quiet.settle(sizes.settle_seconds)
        before = cpu_seconds(process.pid)
        run = await asyncio.to_thread(wrk.run, url, wrk.ceiling_script, workdir, connections=sizes.applicants,
                                      seconds=sizes.ceiling_seconds, name="ceiling")
        server = cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait(timeout=15)
    latency = run.report["wrk_latency_us"]
    return {"requests_per_second": round(run.per_second, 1), "errors": run.errors, "seconds": round(run.seconds, 2),
            "latency_ms": {k: round(v / 1000, 2) for k, v in latency.items()},
            "cpu_seconds": {"bare server": round(server, 3), GENERATOR: round(run.cpu_seconds, 3)},
            "cpu_ms_per_request": {"bare server": round(1000 * server / max(run.answered_2xx, 1), 4),
                                   GENERATOR: round(1000 * run.cpu_seconds / max(run.answered_2xx, 1), 4)},
            "settled_before": settled}


async def journeys_without_pauses(system: System, meter: MachineMeter, people: list[Person],
                                  sizes: Sizes) -> dict[str, Any]:
    settled = await quiet.settle(sizes.settle_seconds)
    generator_before = cpu_seconds(os.getpid())
    await meter.start()
    result = await run_load(system.url, people, concurrency=sizes.applicants, seconds=sizes.journeys_seconds)
    cpu, sessions = await meter.stop(cpu_seconds(os.getpid()) - generator_before)
    figures = result.figures()
    requests = len(result.recorder.samples)
    return {"seconds": sizes.journeys_seconds, "completed_per_second": figures["completed_per_second"],
            "requests_per_second": figures["requests_per_second"], "errors": figures["errors"],
            "error_kinds": figures["error_kinds"], "requests": requests, "cpu_seconds": cpu,
            "cpu_ms_per_request": per_step_ms(cpu, requests), "new_postgres_sessions": sessions,
            "settled_before": settled}


async def measure(system: System, sizes: Sizes) -> dict[str, Any]:
    journeys_people = int(sizes.journeys_seconds * 20) if sizes.journeys_seconds else 0
    people = await asyncio.to_thread(prepare_people, system, sizes.applicants + journeys_people)
    # The accounts' ContactDetailsChanged events keep notification busy for a while: not in a phase.
    await contacts_known(system, system.accounts_made)
    applicants = await sign_in_applicants(system, people[:sizes.applicants])
    meter = meter_for(system)
    document: dict[str, Any] = {"servers": meter.servers, "repeats": []}
    workdir = system.var / "wrk"

    def busy_script(report: Path) -> str:
        return wrk.wizard_script(applicants, report)

    try:
        await asyncio.to_thread(wrk.run, system.url, busy_script, workdir, connections=sizes.applicants,
                                seconds=sizes.warm_seconds, name="warm")
        for index in range(sizes.repeats):
            found = await measure_ceiling(sizes, workdir)
            busy = await measured_wrk(system, meter, sizes, busy_script, sizes.busy_seconds, f"busy-{index}")
            rate = sizes.paced_share * busy["steps_per_second"]

            def paced_script(report: Path, rate: float = rate) -> str:
                return wrk.wizard_script(applicants, report, interval_us=1e6 / rate)

            paced = await measured_wrk(system, meter, sizes, paced_script, sizes.paced_seconds, f"paced-{index}")
            document["repeats"].append({"ceiling": found, "busy": busy,
                                        "paced": {"offered_per_second": round(rate, 1), **paced}})
        if sizes.pages_seconds:
            document["pages"] = {page: await measured_page(system, meter, sizes, page) for page in PUBLIC_PAGES}
            document["browser_pages"] = {
                str(asked): await measured_browser_page(system, meter, sizes, applicants, asked)
                for asked in BROWSER_PAGES}
        if journeys_people:
            document["journeys"] = await journeys_without_pauses(system, meter, people[sizes.applicants:], sizes)
    finally:
        await meter.close()
    return document


def verdicts(repeat: dict[str, Any]) -> list[list[Any]]:
    """[figure, value, target, met] for the issue's targets, of one repeat."""
    busy, paced, found = repeat["busy"], repeat["paced"], repeat["ceiling"]
    ratio = busy["steps_per_second"] / max(found["requests_per_second"], 1e-9)
    p99 = paced["latency"]["p99_ms"]
    reached = paced["steps_per_second"] >= 0.95 * paced["offered_per_second"]
    errors = busy["errors"] + paced["errors"]
    return [
        ["machine CPU ms per step (busy, generator excluded)", busy["system_cpu_ms_per_step"],
         f"≤ {TARGETS['machine_cpu_ms_per_step_max']}",
         busy["system_cpu_ms_per_step"] <= TARGETS["machine_cpu_ms_per_step_max"]],
        ["steps/s ÷ wrk ceiling", round(ratio, 3), f"≥ {TARGETS['ratio_to_ceiling_min']}",
         ratio >= TARGETS["ratio_to_ceiling_min"]],
        [f"paced p99 ms at {paced['offered_per_second']} steps/s offered", p99,
         f"< {TARGETS['paced_p99_ms_max']:g} at {TARGETS['paced_share']:.0%} of max",
         p99 < TARGETS["paced_p99_ms_max"]],
        ["paced rate reached (steps/s)", paced["steps_per_second"],
         f"≥ 95 % of {paced['offered_per_second']}", reached],
        ["errors (busy + paced)", errors, "0", errors == 0],
    ]


def cpu_table_rows(repeat: dict[str, Any], journeys_run: dict[str, Any] | None) -> list[list[Any]]:
    busy, paced = repeat["busy"], repeat["paced"]
    journeys = (journeys_run or {}).get("cpu_ms_per_request", {})
    names = [*SERVICES, "redis", "rabbitmq", "postgresql backends", "postgresql server"]
    rows: list[list[Any]] = [[n, busy["cpu_ms_per_step"].get(n, "-"), paced["cpu_ms_per_step"].get(n, "-"),
                              journeys.get(n, "-")] for n in names]
    rows.append(["system (all the above)", busy["system_cpu_ms_per_step"], paced["system_cpu_ms_per_step"],
                 system_ms(journeys) if journeys else "-"])
    rows.append([f"{GENERATOR} (wrk; journeys: Python)", busy["cpu_ms_per_step"][GENERATOR],
                 paced["cpu_ms_per_step"][GENERATOR], journeys.get(GENERATOR, "-")])
    rows.append([f"{INTERRUPTS}: loopback TCP, any process's", busy["cpu_ms_per_step"].get(INTERRUPTS, "-"),
                 paced["cpu_ms_per_step"].get(INTERRUPTS, "-"), journeys.get(INTERRUPTS, "-")])
    rows.append([f"{ELSEWHERE} (other work: noise)", busy["cpu_ms_per_step"].get(ELSEWHERE, "-"),
                 paced["cpu_ms_per_step"].get(ELSEWHERE, "-"), journeys.get(ELSEWHERE, "-")])
    return rows


def print_report(document: dict[str, Any]) -> None:
    repeats = document["repeats"]
    for number, repeat in enumerate(repeats, 1):
        print(f"\n--- wizard steps driven by wrk: {document['arguments']['applicants']} signed-in applicants, "
              f"steps 2-7 and back (repeat {number} of {len(repeats)}) ---")
        print_repeat(repeat, document.get("journeys") if number == len(repeats) else None)
    if document.get("pages"):
        print_pages(document["pages"], "public pages driven by wrk, as fast as answered (no cookies: a new visitor's)")
    if document.get("browser_pages"):
        print_pages(document["browser_pages"], "the wizard in a browser, driven by wrk: signed-in applicants in turn")


def print_pages(pages: dict[str, dict[str, Any]], heading: str) -> None:
    print(f"\n--- {heading} ---")
    names = ["gateway", "application", "postgresql backends"]
    rows = [[page, run["steps_per_second"], run["errors"], *(run["cpu_ms_per_step"].get(n, "-") for n in names),
             run["system_cpu_ms_per_step"]] for page, run in pages.items()]
    print(table(["page", "pages/s", "errors", *(f"{n} CPU ms" for n in names), "system CPU ms"], rows))


def print_repeat(repeat: dict[str, Any], journeys: dict[str, Any] | None) -> None:
    found, busy, paced = repeat["ceiling"], repeat["busy"], repeat["paced"]
    rows: list[list[Any]] = [
        ["wrk ceiling: bare endpoint req/s", found["requests_per_second"]],
        ["… CPU ms per request: bare server / wrk",
         f"{found['cpu_ms_per_request']['bare server']} / {found['cpu_ms_per_request'][GENERATOR]}"],
        ["busy: steps/s", busy["steps_per_second"]],
        ["busy: steps/s ÷ ceiling", round(busy["steps_per_second"] / max(found["requests_per_second"], 1e-9), 3)],
        ["busy: p50 / p99 ms (a queue of 50)", f"{busy['latency']['p50_ms']} / {busy['latency']['p99_ms']}"],
        ["busy: new PostgreSQL sessions", f"{busy['new_postgres_sessions']} in {busy['seconds']} s"],
        [f"paced: {paced['offered_per_second']} steps/s offered, done", paced["steps_per_second"]],
        ["paced: p50 / p95 / p99 ms (from each request's slot)",
         f"{paced['latency']['p50_ms']} / {paced['latency']['p95_ms']} / {paced['latency']['p99_ms']}"],
        ["paced: new PostgreSQL sessions", f"{paced['new_postgres_sessions']} in {paced['seconds']} s"],
        ["errors busy / paced", f"{busy['errors']} / {paced['errors']}"],
    ]
    if journeys:
        rows += [["journeys without pauses (Python): completed applications/s", journeys["completed_per_second"]],
                 ["… requests/s, errors, new PostgreSQL sessions",
                  f"{journeys['requests_per_second']}, {journeys['errors']}, {journeys['new_postgres_sessions']}"]]
    print(table(["figure", "value"], rows))
    print("\nCPU ms per step (per request for the journeys), by process:")
    print(table(["process", "busy", "paced", "journeys"], cpu_table_rows(repeat, journeys)))
    print("\ntargets (issue 22):")
    print(table(["figure", "value", "target", "met"],
                [[f, v, t, "yes" if met else "NO"] for f, v, t, met in verdicts(repeat)]))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.loadtest.wrkbench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Sizes()
    parser.add_argument("--applicants", type=int, default=defaults.applicants)
    parser.add_argument("--ceiling-seconds", type=float, default=defaults.ceiling_seconds)
    parser.add_argument("--busy-seconds", type=float, default=defaults.busy_seconds)
    parser.add_argument("--paced-seconds", type=float, default=defaults.paced_seconds)
    parser.add_argument("--paced-share", type=float, default=defaults.paced_share,
                        help="the paced phase offers this share of the busy phase's steps/s")
    parser.add_argument("--repeats", type=int, default=defaults.repeats,
                        help="measure the ceiling, busy and paced phases this many times on one system")
    parser.add_argument("--journeys-seconds", type=float, default=defaults.journeys_seconds,
                        help="journeys without pauses (Python generator); 0: none")
    parser.add_argument("--pages-seconds", type=float, default=defaults.pages_seconds,
                        help="each public page (the home page, a help page) as fast as answered; 0: none")
    parser.add_argument("--settle-seconds", type=float, default=defaults.settle_seconds,
                        help="before each measured phase, wait at most this long for a machine at rest")
    parser.add_argument("--json", type=Path, default=ROOT / "test-artifacts" / "bench" / "wrkbench.json")
    return parser.parse_args(argv)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    sizes = Sizes(applicants=args.applicants, ceiling_seconds=args.ceiling_seconds, busy_seconds=args.busy_seconds,
                  paced_seconds=args.paced_seconds, paced_share=args.paced_share,
                  journeys_seconds=args.journeys_seconds, repeats=args.repeats,
                  settle_seconds=args.settle_seconds, pages_seconds=args.pages_seconds)
    started = time.monotonic()
    async with running_system(Options()) as system:
        document = await measure(system, sizes)
    return {"benchmark": "loadtest (wrk)", "command": "python -m tools.loadtest.wrkbench " + " ".join(sys.argv[1:]),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "targets": TARGETS, "elapsed_seconds": round(time.monotonic() - started, 1), **document}


def main(argv: list[str]) -> int:
    args = parse(argv)
    document = asyncio.run(main_async(args))
    print_report(document)
    write_json(args.json, document)
    print(f"\nJSON: {args.json}")
    print(json.dumps({"elapsed_seconds": document["elapsed_seconds"]}))
    # The run is valid when every request was answered as asked; the targets are shown, not enforced
    # (issue 22's are the goal of work still to come).
    answered = all(r["busy"]["errors"] + r["paced"]["errors"] == 0 for r in document["repeats"])
    return 0 if answered and all(run["errors"] == 0 for run in document.get("pages", {}).values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
